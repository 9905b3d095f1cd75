// The reference for luisy's remote transfers: the same files moved with the official Azure
// SDK (@azure/storage-blob) at the same concurrency, as a user of the SDK would write it.
//
//   node sdk.js upload   CONTAINER DIR LIST   # DIR/<each name in LIST> -> CONTAINER/<name>
//   node sdk.js download CONTAINER DIR LIST   # CONTAINER/<name> -> DIR/<name>
//   node sdk.js delete   CONTAINER            # delete the container (untimed cleanup)
//
// LIST is a file with one "NAME<TAB>SIZE" a line (NAME relative). Environment: AZURE_STORAGE_CONNECTION_STRING,
// BENCH_CONCURRENCY (luisy's --transfers, default 16), BENCH_BLOCK_SIZE (bytes, default 8 MiB:
// luisy's block and range size). Files of at least 32 MiB move in BENCH_CONCURRENCY parallel
// blocks or ranges (uploadFile, downloadToBuffer); smaller files move whole, BENCH_CONCURRENCY
// at a time. Nothing is verified on download (luisy verifies every file's XXH3 digest).
"use strict";
const fs = require("fs");
const path = require("path");
const { BlobServiceClient } = require("@azure/storage-blob");

const concurrency = Number(process.env.BENCH_CONCURRENCY || 16);
const blockSize = Number(process.env.BENCH_BLOCK_SIZE || 8 << 20);
const bigFile = 32 << 20;

async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

async function main() {
  const [op, containerName, dir, listFile] = process.argv.slice(2);
  const service = BlobServiceClient.fromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING);
  const container = service.getContainerClient(containerName);
  if (op === "delete") {
    await container.deleteIfExists();
    return;
  }
  const entries = fs.readFileSync(listFile, "utf8").split("\n").filter((l) => l.length > 0)
    .map((l) => { const [name, size] = l.split("\t"); return { name, size: Number(size) }; });
  let bytes = 0;
  if (op === "upload") {
    await container.createIfNotExists();
    await pool(entries, concurrency, async ({ name, size }) => {
      const file = path.join(dir, name);
      const blob = container.getBlockBlobClient(name);
      bytes += size;
      if (size >= bigFile) {
        await blob.uploadFile(file, { blockSize, concurrency, maxSingleShotSize: blockSize });
      } else {
        await blob.uploadData(await fs.promises.readFile(file));
      }
    });
  } else if (op === "download") {
    const made = new Set();
    await pool(entries, concurrency, async ({ name, size }) => {
      const file = path.join(dir, name);
      const parent = path.dirname(file);
      if (!made.has(parent)) {
        fs.mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      const blob = container.getBlobClient(name);
      let data;
      if (size >= bigFile) {
        data = await blob.downloadToBuffer(0, size, { blockSize, concurrency });
      } else {
        // One GET, as luisy does for a small blob (downloadToBuffer would ask for the size first).
        const response = await blob.download();
        const chunks = [];
        for await (const chunk of response.readableStreamBody) chunks.push(chunk);
        data = Buffer.concat(chunks);
      }
      bytes += data.length;
      await fs.promises.writeFile(file, data);
    });
  } else {
    throw new Error(`unknown operation ${op}`);
  }
  console.log(`${op}: ${entries.length} files, ${bytes} bytes`);
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
