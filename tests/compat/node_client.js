// The official Node.js client (tencentcloud-sdk-nodejs, pinned in tests/package.json), unchanged,
// pointed at a live Ronghe. Reads one plan as JSON on stdin, prints one JSON object of results.
// The same plan runs through python_client.py; tests/compat/test_official_clients.py compares.
//
// The only thing bent is name resolution: the plan's host names (facefusion.ronghe.test,
// ronghe.test) resolve to loopback through an http.Agent lookup, so no hosts file is needed.
"use strict";

const dns = require("dns");
const http = require("http");
const { facefusion } = require("tencentcloud-sdk-nodejs/tencentcloud/services/facefusion");

function readStdin() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => { text += chunk; });
    process.stdin.on("end", () => resolve(JSON.parse(text)));
  });
}

function agentFor(plan) {
  const lookup = (hostname, options, callback) => {
    const address = plan.resolve[hostname];
    if (!address) return dns.lookup(hostname, options, callback);
    if (options && options.all) return callback(null, [{ address, family: 4 }]);
    return callback(null, address, 4);
  };
  return new http.Agent({ lookup, keepAlive: false });
}

function client(plan, version, secretKey) {
  const Client = facefusion[version].Client;
  return new Client({
    credential: { secretId: plan.secretId, secretKey: secretKey || plan.secretKey },
    region: plan.region,
    profile: { httpProfile: { endpoint: plan.endpoint, protocol: "http://", reqTimeout: 60, agent: agentFor(plan) } },
  });
}

function download(plan, url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: agentFor(plan) }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

function fuseRequest(plan, rspImgType) {
  return { ProjectId: plan.projectId, ModelId: plan.modelId, RspImgType: rspImgType,
           MergeInfos: [{ Image: plan.photoBase64 }] };
}

// A FuseFaceUltra call with the template as base64 (ModelImage) or by URL (ModelUrl).
function ultraRequest(plan, rspImgType, template) {
  const model = template === "base64" ? { ModelImage: plan.templateBase64 } : { ModelUrl: plan.templateUrl };
  return { RspImgType: rspImgType, MergeInfos: [{ Image: plan.photoBase64 }], SwapModelType: 2,
           FusionUltraParam: { WarpRadio: 0.8, EnhanceRadio: 0.6 }, ...model };
}

// A clock ten minutes behind the server's, for the client only.
async function withSkewedClock(seconds, fn) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(RealDate.now() + seconds * 1000); else super(...args); }
    static now() { return RealDate.now() + seconds * 1000; }
  }
  global.Date = SkewedDate;
  try { return await fn(); } finally { global.Date = RealDate; }
}

async function code(fn) {
  try {
    await fn();
    return "Success";
  } catch (err) {
    return err.code || `NoCode: ${err.message}`;
  }
}

// One entry per call of the plan.
const CALLS = {
  async DescribeMaterialList(plan) {
    const resp = await client(plan, "v20220927").DescribeMaterialList({ ActivityId: plan.projectId, Limit: 20, Offset: 0 });
    const first = resp.MaterialInfos[0] || {};
    return { Count: resp.Count, MaterialId: first.MaterialId, MaterialStatus: first.MaterialStatus };
  },
  async FuseFaceBase64(plan) {
    const resp = await client(plan, "v20220927").FuseFace(fuseRequest(plan, "base64"));
    const image = Buffer.from(resp.FusedImage, "base64");
    return { magic: image.subarray(0, 4).toString("hex"), bytes: image.length };
  },
  async FuseFaceUrl(plan) {
    const resp = await client(plan, "v20220927").FuseFace(fuseRequest(plan, "url"));
    const got = await download(plan, resp.FusedImage);
    return { host: new URL(resp.FusedImage).host, status: got.status, magic: got.body.subarray(0, 4).toString("hex") };
  },
  async FuseFaceUltraBase64(plan) {
    const resp = await client(plan, "v20220927").FuseFaceUltra(ultraRequest(plan, "base64", "base64"));
    const image = Buffer.from(resp.FusedImage, "base64");
    return { magic: image.subarray(0, 4).toString("hex"), bytes: image.length };
  },
  async FuseFaceUltraUrl(plan) {
    const resp = await client(plan, "v20220927").FuseFaceUltra(ultraRequest(plan, "url", "url"));
    const got = await download(plan, resp.FusedImage);
    return { host: new URL(resp.FusedImage).host, status: got.status, magic: got.body.subarray(0, 4).toString("hex") };
  },
  async WrongSecretKey(plan) {
    return { code: await code(() => client(plan, "v20220927", "0".repeat(32)).FuseFace(fuseRequest(plan, "base64"))) };
  },
  async SkewedClock(plan) {
    return { code: await withSkewedClock(-600, () => code(() => client(plan, "v20220927").FuseFace(fuseRequest(plan, "base64")))) };
  },
};

async function main() {
  const plan = await readStdin();
  const results = {};
  for (const name of plan.calls) {
    const started = Date.now();
    try {
      results[name] = { ok: true, ...(await CALLS[name](plan)) };
    } catch (err) {
      results[name] = { ok: false, code: err.code || "", message: String(err.message || err) };
    }
    results[name].ms = Date.now() - started;
  }
  process.stdout.write(JSON.stringify({ client: "tencentcloud-sdk-nodejs", results }) + "\n");
}

main().catch((err) => { console.error(err); process.exit(1); });
