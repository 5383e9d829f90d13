//! The server's settings, as GitHub App users know them from Probot and bors: each is a flag
//! with an environment fallback, the flag winning. Everything is checked at start-up, with a
//! message that names the setting; secrets are kept in `secrecy` and never shown.

use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `adoptbot serve`'s flags. Unset flags fall back to the environment variable named in each.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// The GitHub App's id [env: APP_ID].
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// The App's private key, PEM text (PKCS#1 as GitHub downloads it, or PKCS#8)
    /// [env: PRIVATE_KEY].
    #[arg(long, value_name = "PEM")]
    pub private_key: Option<String>,
    /// A file holding the App's private key [env: PRIVATE_KEY_PATH].
    #[arg(long, value_name = "FILE")]
    pub private_key_path: Option<PathBuf>,
    /// The webhook secret; several, comma-separated, while one is rotated
    /// [env: WEBHOOK_SECRET].
    #[arg(long, value_name = "SECRET")]
    pub webhook_secret: Option<String>,
    /// A file holding the webhook secret(s), comma-separated [env: WEBHOOK_SECRET_PATH].
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_path: Option<PathBuf>,
    /// Where GitHub posts deliveries [env: WEBHOOK_PATH; default /api/github/webhooks].
    #[arg(long, value_name = "PATH")]
    pub webhook_path: Option<String>,
    /// The address to listen on [env: HOST; default 0.0.0.0].
    #[arg(long, value_name = "ADDR")]
    pub host: Option<String>,
    /// The port to listen on [env: PORT; default 3000].
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// How often open request and gate PRs are evaluated again, to catch a missed delivery:
    /// `10m`, `1h`, `90s` [env: ADOPTBOT_BACKSTOP_INTERVAL; default 10m].
    #[arg(long, value_name = "DURATION")]
    pub backstop_interval: Option<String>,
    /// Where the scheduled report reads the cloud: `azure`, `snapshot:DIR` or `none`
    /// [env: ADOPTBOT_CLOUD; default: Azure when adoption.yaml has `azure:` and a credential
    /// is configured].
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// How long a SIGTERM waits for accepted deliveries [env: ADOPTBOT_SHUTDOWN_GRACE;
    /// default 25s, under Kubernetes' 30].
    #[arg(long, value_name = "DURATION")]
    pub shutdown_grace: Option<String>,
}

/// The settings, checked.
pub struct Settings {
    pub app_id: u64,
    pub private_key: SecretString,
    /// At least one; every one is tried.
    pub webhook_secrets: Vec<SecretString>,
    pub webhook_path: String,
    pub listen: SocketAddr,
    /// `GITHUB_API_URL`, by default `https://api.github.com`.
    pub api_url: String,
    pub backstop_interval: Duration,
    pub shutdown_grace: Duration,
    /// The scheduled report's cloud, as `--cloud` writes it; `None` chooses from
    /// `adoption.yaml`.
    pub cloud: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("app_id", &self.app_id)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("webhook_path", &self.webhook_path)
            .field("listen", &self.listen)
            .field("api_url", &self.api_url)
            .field("backstop_interval", &self.backstop_interval)
            .finish_non_exhaustive()
    }
}

/// Where the settings come from besides the flags: the environment and files, so that tests
/// hand in their own.
pub trait Sources {
    fn var(&self, name: &str) -> Option<String>;
    fn read(&self, path: &std::path::Path) -> std::io::Result<String>;
}

/// The process's environment and file system.
pub struct Process;

impl Sources for Process {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn read(&self, path: &std::path::Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// A duration as `90s`, `10m`, `1h` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = digits.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

fn pick(flag: Option<String>, env: &str, src: &impl Sources) -> Option<(String, String)> {
    match flag {
        Some(v) => Some((
            v,
            "--".to_string() + &env.to_ascii_lowercase().replace('_', "-"),
        )),
        None => src.var(env).map(|v| (v, env.to_string())),
    }
}

/// A secret given as text or as a file, never both.
fn secret_source(
    text: Option<String>,
    text_env: &str,
    path: Option<PathBuf>,
    path_env: &str,
    src: &impl Sources,
) -> Result<Option<(String, String)>, String> {
    let text = pick(text, text_env, src);
    let path = pick(path.map(|p| p.display().to_string()), path_env, src);
    match (text, path) {
        (Some((_, a)), Some((_, b))) => Err(format!(
            "both {a} and {b} are given: give the value or the file, not both"
        )),
        (Some(t), None) => Ok(Some(t)),
        (None, Some((p, from))) => {
            let body = src
                .read(std::path::Path::new(&p))
                .map_err(|e| format!("{from}: cannot read `{p}`: {e}"))?;
            Ok(Some((
                body.trim_end_matches(['\n', '\r']).to_string(),
                from,
            )))
        }
        (None, None) => Ok(None),
    }
}

impl Settings {
    /// Resolves and checks every setting.
    pub fn resolve(args: ServeArgs, src: &impl Sources) -> Result<Settings, String> {
        let (app_id, from) = pick(args.app_id, "APP_ID", src)
            .ok_or("the App's id is missing: pass --app-id or set APP_ID (the App's settings page shows it)")?;
        let app_id: u64 = app_id
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{from}: `{}` is not an App id: write the number GitHub shows on the App's settings page", app_id.trim()))?;

        let (key, key_from) = secret_source(
            args.private_key,
            "PRIVATE_KEY",
            args.private_key_path,
            "PRIVATE_KEY_PATH",
            src,
        )?
        .ok_or("the App's private key is missing: pass --private-key or --private-key-path, or set PRIVATE_KEY or PRIVATE_KEY_PATH")?;
        // A key pasted into one environment line often has `\n` for its newlines.
        let key = if key.contains("\\n") && !key.contains('\n') {
            key.replace("\\n", "\n")
        } else {
            key
        };
        let private_key = SecretString::from(key);
        crate::forge::github::app::check_key(&private_key)
            .map_err(|e| format!("{key_from}: {e}"))?;

        let (secrets, secret_from) = secret_source(
            args.webhook_secret,
            "WEBHOOK_SECRET",
            args.webhook_secret_path,
            "WEBHOOK_SECRET_PATH",
            src,
        )?
        .ok_or("the webhook secret is missing: pass --webhook-secret or --webhook-secret-path, or set WEBHOOK_SECRET or WEBHOOK_SECRET_PATH (the secret set on the App)")?;
        let webhook_secrets: Vec<SecretString> = secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| SecretString::from(s.to_string()))
            .collect();
        if webhook_secrets.is_empty() {
            return Err(format!(
                "{secret_from}: no secret in it: write the webhook secret set on the App, or several separated by commas"
            ));
        }
        drop(secrets);
        debug_assert!(
            webhook_secrets
                .iter()
                .all(|s| !s.expose_secret().is_empty())
        );

        let webhook_path = pick(args.webhook_path, "WEBHOOK_PATH", src)
            .map(|(p, _)| p)
            .unwrap_or_else(|| "/api/github/webhooks".to_string());
        if !webhook_path.starts_with('/') || webhook_path.contains(char::is_whitespace) {
            return Err(format!(
                "WEBHOOK_PATH: `{webhook_path}` is not a path: write one starting with `/`, e.g. /api/github/webhooks"
            ));
        }
        let host = pick(args.host, "HOST", src)
            .map(|(h, _)| h)
            .unwrap_or_else(|| "0.0.0.0".to_string());
        let (port, port_from) =
            pick(args.port, "PORT", src).unwrap_or_else(|| ("3000".into(), "PORT".into()));
        let port: u16 = port.trim().parse().map_err(|_| {
            format!("{port_from}: `{port}` is not a port: write a number from 0 to 65535")
        })?;
        let ip: std::net::IpAddr = host.trim().parse().map_err(|_| {
            format!("HOST: `{host}` is not an IP address: write 0.0.0.0, 127.0.0.1 or ::")
        })?;
        let api_url = src
            .var("GITHUB_API_URL")
            .unwrap_or_else(|| "https://api.github.com".to_string())
            .trim_end_matches('/')
            .to_string();
        let loopback =
            api_url.starts_with("http://127.0.0.1") || api_url.starts_with("http://localhost");
        if !(api_url.starts_with("https://") || loopback) {
            return Err(format!(
                "GITHUB_API_URL: `{api_url}` must start with https:// (e.g. https://github.example.com/api/v3)"
            ));
        }
        let duration =
            |flag: Option<String>, env: &str, default: u64| -> Result<Duration, String> {
                match pick(flag, env, src) {
                    None => Ok(Duration::from_secs(default)),
                    Some((v, from)) => parse_duration(&v).ok_or_else(|| {
                        format!("{from}: `{v}` is not a duration: write e.g. 90s, 10m or 1h")
                    }),
                }
            };
        let cloud = pick(args.cloud, "ADOPTBOT_CLOUD", src).map(|(c, _)| c);
        if let Some(c) = cloud.as_deref().filter(|c| *c != "none") {
            c.parse::<crate::runners::cloud::CloudSource>()
                .map_err(|e| format!("ADOPTBOT_CLOUD: {e}, or `none`"))?;
        }
        Ok(Settings {
            cloud,
            app_id,
            private_key,
            webhook_secrets,
            webhook_path,
            listen: SocketAddr::new(ip, port),
            api_url,
            backstop_interval: duration(args.backstop_interval, "ADOPTBOT_BACKSTOP_INTERVAL", 600)?,
            shutdown_grace: duration(args.shutdown_grace, "ADOPTBOT_SHUTDOWN_GRACE", 25)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = include_str!("../../../tests/fixtures/app/app-key.pkcs1.pem");

    struct Fake {
        env: HashMap<&'static str, String>,
        files: HashMap<&'static str, String>,
    }

    impl Sources for Fake {
        fn var(&self, name: &str) -> Option<String> {
            self.env.get(name).cloned()
        }
        fn read(&self, path: &std::path::Path) -> std::io::Result<String> {
            self.files
                .get(path.to_str().unwrap())
                .cloned()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    }

    fn env(pairs: &[(&'static str, &str)]) -> Fake {
        Fake {
            env: pairs.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            files: HashMap::new(),
        }
    }

    #[test]
    fn the_environment_is_the_fallback_and_a_flag_wins() {
        let src = env(&[
            ("APP_ID", "7"),
            ("PRIVATE_KEY", KEY),
            ("WEBHOOK_SECRET", " old , new \n"),
            ("PORT", "8080"),
        ]);
        let s = Settings::resolve(ServeArgs::default(), &src).unwrap();
        assert_eq!(s.app_id, 7);
        assert_eq!(s.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(s.webhook_path, "/api/github/webhooks");
        let secrets: Vec<&str> = s
            .webhook_secrets
            .iter()
            .map(|s| s.expose_secret())
            .collect();
        assert_eq!(secrets, ["old", "new"]);
        assert_eq!(s.backstop_interval, Duration::from_secs(600));
        let args = ServeArgs {
            app_id: Some("9".into()),
            port: Some("3001".into()),
            backstop_interval: Some("2m".into()),
            ..ServeArgs::default()
        };
        let s = Settings::resolve(args, &src).unwrap();
        assert_eq!(s.app_id, 9);
        assert_eq!(s.listen.port(), 3001);
        assert_eq!(s.backstop_interval, Duration::from_secs(120));
        assert!(
            !format!("{s:?}").contains("BEGIN"),
            "the key is never shown"
        );
    }

    #[test]
    fn a_key_and_a_key_file_together_are_refused() {
        let src = env(&[
            ("APP_ID", "7"),
            ("PRIVATE_KEY", KEY),
            ("PRIVATE_KEY_PATH", "/run/key.pem"),
            ("WEBHOOK_SECRET", "s"),
        ]);
        let err = Settings::resolve(ServeArgs::default(), &src).unwrap_err();
        assert!(err.contains("PRIVATE_KEY and PRIVATE_KEY_PATH"), "{err}");
    }

    #[test]
    fn files_are_read_and_their_trailing_newline_trimmed() {
        let mut src = env(&[
            ("APP_ID", "7"),
            ("PRIVATE_KEY_PATH", "/run/key.pem"),
            ("WEBHOOK_SECRET_PATH", "/run/secret"),
        ]);
        src.files.insert("/run/key.pem", format!("{KEY}\n"));
        src.files.insert("/run/secret", "s3cret\n".into());
        let s = Settings::resolve(ServeArgs::default(), &src).unwrap();
        assert_eq!(s.webhook_secrets[0].expose_secret(), "s3cret");
        // A PKCS#8 key is accepted as well.
        src.files.insert(
            "/run/key.pem",
            include_str!("../../../tests/fixtures/app/app-key.pkcs8.pem").into(),
        );
        assert!(Settings::resolve(ServeArgs::default(), &src).is_ok());
        src.files.remove("/run/secret");
        let err = Settings::resolve(ServeArgs::default(), &src).unwrap_err();
        assert!(
            err.starts_with("WEBHOOK_SECRET_PATH: cannot read `/run/secret`"),
            "{err}"
        );
    }

    #[test]
    fn every_bad_setting_is_named() {
        let base = [("PRIVATE_KEY", KEY), ("WEBHOOK_SECRET", "s")];
        let cases: &[(&[(&'static str, &str)], &str)] = &[
            (&[], "the App's id is missing"),
            (&[("APP_ID", "seven")], "APP_ID: `seven` is not an App id"),
            (
                &[("APP_ID", "7"), ("PORT", "99999")],
                "PORT: `99999` is not a port",
            ),
            (
                &[("APP_ID", "7"), ("HOST", "example")],
                "HOST: `example` is not an IP",
            ),
            (
                &[("APP_ID", "7"), ("WEBHOOK_PATH", "hooks")],
                "WEBHOOK_PATH: `hooks` is not a path",
            ),
            (
                &[
                    ("APP_ID", "7"),
                    ("GITHUB_API_URL", "http://github.example.com"),
                ],
                "GITHUB_API_URL",
            ),
            (
                &[("APP_ID", "7"), ("ADOPTBOT_BACKSTOP_INTERVAL", "soon")],
                "ADOPTBOT_BACKSTOP_INTERVAL: `soon`",
            ),
        ];
        for (extra, want) in cases {
            let mut pairs: Vec<(&'static str, &str)> = base.to_vec();
            pairs.extend_from_slice(extra);
            let err = Settings::resolve(ServeArgs::default(), &env(&pairs)).unwrap_err();
            assert!(err.contains(want), "{extra:?}: {err}");
        }
        let err = Settings::resolve(
            ServeArgs::default(),
            &env(&[
                ("APP_ID", "7"),
                ("PRIVATE_KEY", "not a key"),
                ("WEBHOOK_SECRET", "s"),
            ]),
        )
        .unwrap_err();
        assert!(
            err.starts_with("PRIVATE_KEY: the private key is not an RSA key"),
            "{err}"
        );
        let err = Settings::resolve(
            ServeArgs::default(),
            &env(&[
                ("APP_ID", "7"),
                ("PRIVATE_KEY", KEY),
                ("WEBHOOK_SECRET", " , "),
            ]),
        )
        .unwrap_err();
        assert!(err.starts_with("WEBHOOK_SECRET: no secret in it"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("1d"), None);
    }
}
