// Builds src/ into dist/ with esbuild and checks the size budget (gzip), failing over it.
import { build } from "esbuild";
import { readFileSync, readdirSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const BUDGET_GZIP = { "widget.js": 15 * 1024 };

mkdirSync("dist", { recursive: true });
await build({
  entryPoints: { widget: "src/index.js" },
  outdir: "dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
});

let over = false;
for (const name of readdirSync("dist").filter((f) => f.endsWith(".js"))) {
  const raw = readFileSync(join("dist", name));
  const gz = gzipSync(raw, { level: 9 }).length;
  const budget = BUDGET_GZIP[name];
  const verdict = budget ? (gz <= budget ? `ok (budget ${budget} B)` : `OVER BUDGET (${budget} B)`) : "";
  console.log(`widget size: ${name} raw ${raw.length} B, gzip ${gz} B ${verdict}`);
  if (budget && gz > budget) over = true;
}
if (over) process.exit(1);
