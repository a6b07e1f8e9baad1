import { deflateRawSync } from "node:zlib";

/** A zip of several entries (local headers + data + central directory + end record). */
export function zipOf(entries: [string, string | Buffer][], method: 0 | 8, dataDescriptor = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  for (const [name, text] of entries) {
    const content = typeof text === "string" ? Buffer.from(text) : text;
    const data = method === 8 ? deflateRawSync(content) : content;
    const nameBuf = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(dataDescriptor ? 0x8 : 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(dataDescriptor ? 0 : data.length, 18);
    local.writeUInt32LE(dataDescriptor ? 0 : content.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const descriptor = Buffer.alloc(dataDescriptor ? 16 : 0);
    if (dataDescriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(data.length, 8);
      descriptor.writeUInt32LE(content.length, 12);
    }
    locals.push(local, nameBuf, data, descriptor);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    centrals.push(central, nameBuf);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  return Buffer.concat([...locals, ...centrals, end]);
}
