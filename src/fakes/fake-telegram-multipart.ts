/**
 * A small multipart/form-data reader for uploads (sendDocument, sendPhoto).
 *
 * Why not `new Request(...).formData()`: grammY writes part headers compactly
 * (`content-disposition:form-data;name="x";filename=report.pdf`, no spaces, unquoted file name) and
 * Node 20's built-in parser rejects that with "Failed to parse body as FormData". Telegram accepts it,
 * so the fake must too.
 */

export interface MultipartFile {
  /** The part's own field name (grammY uses a random id and points to it with "attach://id"). */
  field: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: Map<string, MultipartFile>;
}

export class MultipartError extends Error {
  override name = "MultipartError";
}

export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export function parseMultipart(body: Buffer, contentType: string): MultipartBody {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new MultipartError("multipart body without boundary");
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, string> = {};
  const files = new Map<string, MultipartFile>();

  let pos = body.indexOf(opening);
  if (pos < 0) throw new MultipartError("multipart body without its boundary");
  pos += opening.length;
  for (;;) {
    // After a boundary comes "--" (the end) or a line break and the next part.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    const lineEnd = body.indexOf("\r\n", pos);
    if (lineEnd < 0) throw new MultipartError("truncated multipart body");
    const headersEnd = body.indexOf("\r\n\r\n", lineEnd);
    if (headersEnd < 0) throw new MultipartError("multipart part without a header end");
    const headers = parseHeaders(body.subarray(lineEnd + 2, headersEnd).toString("utf8"));
    const contentStart = headersEnd + 4;
    const next = body.indexOf(delimiter, contentStart);
    if (next < 0) throw new MultipartError("multipart part without a closing boundary");
    const content = body.subarray(contentStart, next);
    pos = next + delimiter.length;

    const disposition = parseDisposition(headers.get("content-disposition") ?? "");
    const name = disposition.get("name");
    if (name === undefined) continue;
    const filename = disposition.get("filename");
    if (filename !== undefined) {
      const file: MultipartFile = { field: name, filename, data: Buffer.from(content) };
      const type = headers.get("content-type");
      if (type) file.contentType = type;
      files.set(name, file);
    } else {
      fields[name] = content.toString("utf8");
    }
  }
  return { fields, files };
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** `form-data; name="x"; filename=y` → Map { name → x, filename → y }, quoted or not. */
function parseDisposition(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([a-zA-Z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const quoted = m[2];
    const [, name = "", , plain = ""] = m;
    params.set(name.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : plain.trim());
  }
  return params;
}
