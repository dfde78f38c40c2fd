// Builds src/ into dist/ with esbuild, prints the raw and gzip size of every built file, and
// exits non-zero over the gzip budget.
//
//   dist/widget.js              the loader the host page includes (stable URL, short cache)
//   dist/widget/core.HASH.js    page context, events, socket, launcher (imported by the loader)
//   dist/widget/*.HASH.js       the panel and shared chunks (imported on first open)
//   dist/manifest.json          which files exist, for the server
import { build, transform } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_GZIP = { loader: 1536, total: 15 * 1024 };
// `import CSS from "./x.css"` gives the stylesheet as a minified string, for adoptedStyleSheets.
const cssAsText = {
  name: "css-as-text",
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async ({ path }) => {
      const { code } = await transform(readFileSync(path, "utf8"), { loader: "css", minify: true });
      return { contents: `export default ${JSON.stringify(code.trim())};`, loader: "js" };
    });
  },
};
const common = {
  plugins: [cssAsText],
  bundle: true,
  minify: true,
  target: ["es2020"],
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
};

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");

// The lazily loaded parts: ES modules with content-hashed names, so they can be cached forever.
const lazy = await build({
  ...common,
  entryPoints: { core: "src/core.js" },
  outdir: "dist/widget",
  format: "esm",
  splitting: true,
  entryNames: "[name].[hash]",
  chunkNames: "[name].[hash]",
  metafile: true,
});
const outputs = Object.keys(lazy.metafile.outputs).map((path) => relative("dist", path));
const core = outputs.find((path) => lazy.metafile.outputs["dist/" + path].entryPoint === "src/core.js");

// The loader, a classic script that knows the core's hashed name.
await build({
  ...common,
  entryPoints: ["src/loader.js"],
  outfile: "dist/widget.js",
  format: "iife",
  define: { PAGEGUIDE_CORE: JSON.stringify(core) },
});
writeFileSync("dist/manifest.json", JSON.stringify({ loader: "widget.js", core, files: outputs }, null, 2) + "\n");

let total = 0;
let over = false;
for (const name of ["widget.js", ...outputs]) {
  const raw = readFileSync("dist/" + name);
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  const budget = name === "widget.js" ? BUDGET_GZIP.loader : 0;
  const verdict = budget ? (gz <= budget ? ` ok (budget ${budget} B)` : ` OVER BUDGET (${budget} B)`) : "";
  console.log(`widget size: ${name} raw ${raw.length} B, gzip ${gz} B${verdict}`);
  if (budget && gz > budget) over = true;
}
const verdict = total <= BUDGET_GZIP.total ? "ok" : "OVER BUDGET";
console.log(`widget size: total gzip ${total} B ${verdict} (budget ${BUDGET_GZIP.total} B)`);
if (over || total > BUDGET_GZIP.total) process.exit(1);
