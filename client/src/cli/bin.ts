import { main } from "./main.js";

const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  // The live view redraws stdout and asks on stdin: both must be a terminal.
  isTTY: process.stdout.isTTY && process.stdin.isTTY,
});
process.exit(code);
