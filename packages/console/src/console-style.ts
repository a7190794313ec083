/**
 * The one stylesheet of the web console and the static HTML report, so both look the same. Colours meet
 * WCAG AA contrast on white (the browser test runs axe-core on the console).
 */
export const CONSOLE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d8dee4;--bg:#f6f8fa;--ok:#1a7f37;--warn:#9a4d00;--bad:#c62828;--accent:#0969da}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:#fff}
header.top{display:flex;align-items:baseline;gap:1rem;padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:var(--bg)}
header.top h1{font-size:1.15rem;margin:0}
header.top nav{margin-left:auto;display:flex;gap:1rem}
a{color:var(--accent)}
main{padding:0 1.5rem 2rem;max-width:80rem;margin:0 auto}
h2{font-size:1.05rem;margin:1.6rem 0 .6rem}
h3{font-size:.95rem;margin:0}
table{border-collapse:collapse;width:100%}
th,td{padding:.35rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;font-weight:600;border:1px solid currentColor}
.s-running,.s-in-sync,.s-in_sync,.s-done,.s-verifying{color:var(--ok)}
.s-starting,.s-differences,.s-waiting,.s-none,.s-unknown{color:var(--warn)}
.s-failed,.s-stopped,.s-error,.s-unsupported{color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.8rem 1rem;background:#fff}
.card header{display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap;margin-bottom:.4rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.4rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
svg text{font-size:10px;fill:var(--muted)}
svg .grid{stroke:#eaeef2}
svg .line{fill:none;stroke:var(--accent);stroke-width:1.5}
svg .bad{fill:#cf222e}svg .ok{fill:var(--ok)}
svg .bar-missing{fill:#bc4c00}svg .bar-extra{fill:#8250df}svg .bar-mismatched{fill:#cf222e}svg .bar-ok{fill:var(--ok)}
.diffs{margin-top:.6rem}
.diffs table td{font-size:.85rem}
.masked{color:var(--muted);font-style:italic}
.pager{display:flex;gap:.5rem;align-items:center;margin-top:.4rem}
button{font:inherit;padding:.15rem .6rem;border:1px solid var(--line);border-radius:.3rem;background:var(--bg);color:var(--fg);cursor:pointer}
button:disabled{color:var(--muted);cursor:default}
.legend{display:flex;gap:.8rem;font-size:.8rem;color:var(--muted)}
.legend span::before{content:"";display:inline-block;width:.7rem;height:.7rem;margin-right:.25rem;vertical-align:-1px}
.legend .l-missing::before{background:#bc4c00}.legend .l-extra::before{background:#8250df}.legend .l-mismatched::before{background:#cf222e}
.error-line{color:var(--bad)}
`;
