// verify.mjs: reads WARC files with webrecorder's warcio.js (an independent
// parser) and checks every record: it parses, its WARC-Block-Digest matches
// the block warcio.js delimits, its WARC-Payload-Digest matches the payload
// warcio.js finds after the HTTP headers, and every revisit names a
// WARC-Refers-To target with the same payload digest seen earlier in the
// files. Prints one JSON summary line on stdout; exits 1 on any problem.
//
// usage: node verify.mjs FILE.warc.gz...
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { WARCParser } from "warcio";

const problems = [];
const warnings = [];
const origWarn = console.warn;
console.warn = (...a) => { warnings.push(a.join(" ")); };

function sha1b32(buf) {
  const d = createHash("sha1").update(buf).digest();
  // RFC 4648 base32 (what WARC sha1: digests use)
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, val = 0, out = "";
  for (const b of d) {
    val = (val << 8) | b; bits += 8;
    while (bits >= 5) { out += alpha[(val >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alpha[(val << (5 - bits)) & 31];
  while (out.length % 8) out += "=";
  return "sha1:" + out;
}

// pass 1: raw blocks (no HTTP parsing): block digests.
// pass 2: HTTP parsed: payload digests, revisit targets.
const counts = { records: 0, byType: {}, blockDigests: 0, payloadDigests: 0, revisits: {} };
const payloadByTarget = new Map(); // "uri date" -> payload digest of response records

async function pass(file, parseHttp, fn) {
  const parser = new WARCParser(createReadStream(file), { parseHttp, keepHeadersCase: true });
  let i = 0;
  for await (const rec of parser) {
    await fn(rec, `${file}#${i}`);
    i++;
  }
  return i;
}

for (const file of process.argv.slice(2)) {
  const n1 = await pass(file, false, async (rec, where) => {
    const block = await rec.readFully(false);
    const want = rec.warcHeaders.headers.get("WARC-Block-Digest");
    const type = rec.warcType;
    counts.records++;
    counts.byType[type] = (counts.byType[type] || 0) + 1;
    if (Number(rec.warcHeaders.headers.get("Content-Length")) !== block.length) {
      problems.push(`${where} ${type}: Content-Length ${rec.warcHeaders.headers.get("Content-Length")} but block has ${block.length} bytes`);
    }
    if (!want) {
      if (type !== "warcinfo") problems.push(`${where} ${type}: no WARC-Block-Digest`);
      return;
    }
    const got = sha1b32(block);
    if (got !== want) problems.push(`${where} ${type}: block digest ${want}, recomputed ${got}`);
    else counts.blockDigests++;
  });
  const n2 = await pass(file, true, async (rec, where) => {
    const type = rec.warcType;
    const h = rec.warcHeaders.headers;
    if (type === "response") {
      if (!rec.httpHeaders) { problems.push(`${where}: response without HTTP headers`); return; }
      const payload = await rec.readFully(false);
      const want = h.get("WARC-Payload-Digest");
      const got = sha1b32(payload);
      if (want !== got) problems.push(`${where} response ${rec.warcTargetURI}: payload digest ${want}, recomputed ${got}`);
      else counts.payloadDigests++;
      payloadByTarget.set(rec.warcTargetURI + " " + h.get("WARC-Date"), want);
    } else if (type === "revisit") {
      const profile = h.get("WARC-Profile") || "";
      counts.revisits[profile] = (counts.revisits[profile] || 0) + 1;
      const target = h.get("WARC-Refers-To-Target-URI");
      const date = h.get("WARC-Refers-To-Date");
      const digest = h.get("WARC-Payload-Digest");
      if (!target || !date) { problems.push(`${where} revisit ${rec.warcTargetURI}: no WARC-Refers-To-Target-URI/Date`); return; }
      if (!rec.httpHeaders) problems.push(`${where} revisit ${rec.warcTargetURI}: no HTTP headers`);
      const orig = payloadByTarget.get(target + " " + date);
      if (orig === undefined) problems.push(`${where} revisit ${rec.warcTargetURI}: refers to ${target} at ${date}, not earlier in these files`);
      else if (profile.endsWith("/identical-payload-digest") && orig !== digest) problems.push(`${where} revisit ${rec.warcTargetURI}: payload digest ${digest}, original has ${orig}`);
      else counts.payloadDigests++;
      const rest = await rec.readFully(false);
      if (rest.length !== 0) problems.push(`${where} revisit ${rec.warcTargetURI}: ${rest.length} payload bytes after the HTTP headers`);
    }
  });
  if (n1 !== n2) problems.push(`${file}: ${n1} records read raw, ${n2} with HTTP parsing`);
}
for (const w of warnings) problems.push("warcio warning: " + w);
console.warn = origWarn;
process.stdout.write(JSON.stringify({ ...counts, problems }) + "\n");
process.exit(problems.length ? 1 : 0);
