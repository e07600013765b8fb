// Postfix prints system errors with strerror() ("%m"); Node gives error codes. This maps the
// codes a table open can plausibly hit to glibc's wording so messages read like Postfix's.
const MESSAGES: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EIO: 'Input/output error',
  EEXIST: 'File exists',
  ENAMETOOLONG: 'File name too long',
  EXDEV: 'Invalid cross-device link',
  EBUSY: 'Device or resource busy',
};

/** strerror()-style text for a Node system error (or its message for anything else). */
export function strerror(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && MESSAGES[code] !== undefined) return MESSAGES[code]!;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

export function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
