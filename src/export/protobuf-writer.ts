/**
 * The few protobuf wire-format encodings TensorBoard's event files need (varint, fixed32,
 * fixed64, length-delimited), written by hand so an export needs neither tfjs-node nor a
 * protobuf library. https://protobuf.dev/programming-guides/encoding/
 */

/** A message under construction: fields appended in order, bytes joined once at the end. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  /** A varint field (wire type 0): int32/int64/enum. Non-negative integers up to 2^53. */
  varint(field: number, value: number): this {
    this.tag(field, 0);
    this.push(encodeVarint(value));
    return this;
  }

  /** A `float` field (wire type 5, IEEE 754 single, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A `double` field (wire type 1, IEEE 754 double, little-endian). */
  double(field: number, value: number): this {
    this.tag(field, 1);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A `bytes`, `string` (UTF-8) or embedded-message field (wire type 2). */
  bytes(field: number, value: Uint8Array | string | ProtoWriter): this {
    const data =
      typeof value === 'string'
        ? new TextEncoder().encode(value)
        : value instanceof ProtoWriter
          ? value.finish()
          : value;
    this.tag(field, 2);
    this.push(encodeVarint(data.length));
    this.push(data);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.push(encodeVarint(field * 8 + wireType));
  }

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }
}

/** Base-128 varint, low group first; plain arithmetic so values past 2^32 stay exact. */
function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`varint: expected a non-negative safe integer, found ${value}`);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}
