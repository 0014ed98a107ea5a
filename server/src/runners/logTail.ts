import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The last `maxBytes` of a file, or "" when it cannot be read. */
export function readTail(path: string, maxBytes = 8000): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf-8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
