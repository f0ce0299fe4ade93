const mb = (n) => (n / 1048576).toFixed(1);
globalThis.gc();
const a = process.memoryUsage();
for (const m of process.argv.slice(2)) await import(m);
globalThis.gc();
const b = process.memoryUsage();
console.log(process.argv.slice(2).join(" "), "rss", mb(b.rss), "(+" + mb(b.rss - a.rss) + ") heapUsed", mb(b.heapUsed), "heapTotal", mb(b.heapTotal), "ext", mb(b.external));
