// Compile Solidity standard-JSON input (stdin) with the pinned solc; print the standard-JSON output (stdout).
// Sources are read by the import callback from the base directory given as the first argument.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const base = process.argv[2] || ".";
const input = fs.readFileSync(0, "utf8");
function findImports(name) {
  const file = path.resolve(base, name);
  if (!file.startsWith(path.resolve(base) + path.sep)) return { error: `import outside ${base}: ${name}` };
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (err) {
    return { error: `cannot read ${name}: ${err.message}` };
  }
}
process.stdout.write(solc.compile(input, { import: findImports }));
