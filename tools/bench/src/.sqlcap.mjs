import pg from 'pg';
const orig = pg.Client.prototype.query;
pg.Client.prototype.query = function (q, ...rest) {
  const text = typeof q === 'string' ? q : q?.text;
  if (text && /GROUP BY b/.test(text)) console.error('SQL>>', text, JSON.stringify(q.values ?? rest[0]));
  return orig.call(this, q, ...rest);
};
process.argv.splice(1, 1);
await import('/work/main/tools/bench/src/diff-one-side.mjs');
