// multipart/form-data parser (RFC 7578) working on the raw bytes, so binary file parts survive
// untouched and CRLF framing is honoured exactly as clients send it.

export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string[]>;
  files: MultipartFile[];
}

export class MultipartError extends Error {}

/** The boundary parameter of a multipart content-type, without quotes. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

interface PartHeaders {
  name?: string;
  filename?: string;
  contentType?: string;
}

function parseContentDisposition(value: string, into: PartHeaders): void {
  // Parameters may be quoted (with \" escapes) or bare; filename* (RFC 5987) wins when present.
  const params = /;\s*([a-z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^;]*))/gi;
  for (let match = params.exec(value); match; match = params.exec(value)) {
    const key = match[1]!.toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '').trim();
    if (key === 'name') into.name = raw;
    else if (key === 'filename' && into.filename === undefined) into.filename = raw;
    else if (key === 'filename*') {
      const encoded = /^[^']*'[^']*'(.*)$/.exec(raw);
      into.filename = decodeURIComponent(encoded ? encoded[1]! : raw);
    }
  }
}

function parsePartHeaders(block: string): PartHeaders {
  const headers: PartHeaders = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') parseContentDisposition(value, headers);
    else if (name === 'content-type') headers.contentType = value;
  }
  return headers;
}

/** Parses a complete multipart/form-data body. Text fields are decoded as UTF-8. */
export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const form: MultipartForm = { fields: {}, files: [] };
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const crlf = Buffer.from('\r\n', 'latin1');
  const headerEnd = Buffer.from('\r\n\r\n', 'latin1');

  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('multipart body has no opening boundary');
  for (;;) {
    position += delimiter.length;
    // "--" right after a delimiter closes the body.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return form;
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    while (body[position] === 0x20 || body[position] === 0x09) position++;
    if (!body.subarray(position, position + 2).equals(crlf)) throw new MultipartError('boundary line does not end with CRLF');
    position += 2;

    const headersEnd = body.indexOf(headerEnd, position);
    // A part may have no headers at all, in which case the blank line comes at once.
    const noHeaders = body.subarray(position, position + 2).equals(crlf);
    const contentStart = noHeaders ? position + 2 : headersEnd + 4;
    if (!noHeaders && headersEnd < 0) throw new MultipartError('part headers are not terminated');
    const headers = noHeaders ? {} : parsePartHeaders(body.subarray(position, headersEnd).toString('utf8'));

    // The content ends at CRLF + delimiter; the CRLF belongs to the delimiter, not the content.
    const next = body.indexOf(Buffer.concat([crlf, delimiter]), contentStart);
    if (next < 0) throw new MultipartError('part is not closed by a boundary');
    const content = body.subarray(contentStart, next);

    if (headers.name !== undefined) {
      if (headers.filename !== undefined) {
        form.files.push({
          field: headers.name,
          filename: headers.filename,
          contentType: headers.contentType ?? 'application/octet-stream',
          bytes: Buffer.from(content)
        });
      } else {
        (form.fields[headers.name] ??= []).push(content.toString('utf8'));
      }
    }
    position = next + crlf.length;
  }
}
