//! Azure resource names derived from an experiment, within each resource type's naming rules.
//! Templates read them as `names.<key>`. Names that must be globally unique carry a suffix of
//! six hex characters from a hash of the team and the experiment id.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Keep lowercase ASCII letters and digits only.
fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect()
}

/// Collapse runs of `-` and trim `-` at both ends.
fn tidy_hyphens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn take(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The derived names for an experiment `id` (already validated as lowercase kebab-case) of a
/// `team`.
pub fn derive(id: &str, team: &str) -> BTreeMap<&'static str, String> {
    let digest = Sha256::digest(format!("{team}/{id}").as_bytes());
    let suffix = hex::encode(&digest[..3]);
    let id_tidy = tidy_hyphens(id);
    // `base` is at most 40 characters, so `<prefix>-<base>` stays within the 64-character
    // limit of most resource types.
    let base = if id_tidy.len() <= 40 {
        id_tidy.clone()
    } else {
        format!("{}-{suffix}", tidy_hyphens(&take(&id_tidy, 33)))
    };
    let compact = alnum(id);
    let mut names = BTreeMap::new();
    names.insert("suffix", suffix.clone());
    names.insert("base", base.clone());
    names.insert("resource_group", format!("rg-{id_tidy}"));
    // Storage accounts: 3-24 lowercase letters and digits, globally unique.
    names.insert(
        "storage_account",
        format!("st{}{suffix}", take(&compact, 16)),
    );
    // Container registries: 5-50 letters and digits, globally unique.
    names.insert(
        "container_registry",
        format!("cr{}{suffix}", take(&compact, 40)),
    );
    // Key vaults: 3-24 letters, digits and single hyphens, starting with a letter, globally
    // unique.
    names.insert(
        "key_vault",
        format!("kv-{}-{suffix}", tidy_hyphens(&take(&id_tidy, 13))),
    );
    // Azure ML workspaces: 3-33 characters.
    names.insert(
        "ml_workspace",
        format!("mlw-{}-{suffix}", tidy_hyphens(&take(&id_tidy, 21))),
    );
    // AKS DNS prefix: 1-54 letters, digits and hyphens.
    names.insert(
        "dns_prefix",
        format!("{}-{suffix}", tidy_hyphens(&take(&id_tidy, 40))),
    );
    // Cognitive Services custom subdomain: globally unique, 2-64 characters.
    names.insert("cognitive_account", format!("oai-{base}-{suffix}"));
    // Linux computer name prefix of a scale set: short and readable.
    names.insert("computer_name_prefix", tidy_hyphens(&take(&id_tidy, 15)));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_respect_limits() {
        let long = "a".repeat(30) + "--" + &"b".repeat(31);
        for id in ["ab", "llm-finetune", long.as_str()] {
            let n = derive(id, "team-x");
            let st = &n["storage_account"];
            assert!((3..=24).contains(&st.len()), "{st}");
            assert!(
                st.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
            let kv = &n["key_vault"];
            assert!((3..=24).contains(&kv.len()) && !kv.contains("--"), "{kv}");
            assert!(n["container_registry"].len() <= 50 && n["container_registry"].len() >= 5);
            assert!(n["ml_workspace"].len() <= 33, "{}", n["ml_workspace"]);
            assert!(n["dns_prefix"].len() <= 54);
            assert!(n["base"].len() <= 40);
            assert!(n["cognitive_account"].len() <= 64);
        }
        assert_ne!(derive("x1", "a")["suffix"], derive("x1", "b")["suffix"]);
    }
}
