// sysexits(3) codes, which sendmail-compatible commands use as exit status.
export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOINPUT = 66;
export const EX_NOUSER = 67;
export const EX_NOHOST = 68;
export const EX_UNAVAILABLE = 69;
export const EX_SOFTWARE = 70;
export const EX_OSERR = 71;
export const EX_OSFILE = 72;
export const EX_CANTCREAT = 73;
export const EX_IOERR = 74;
export const EX_TEMPFAIL = 75;
export const EX_PROTOCOL = 76;
export const EX_NOPERM = 77;
export const EX_CONFIG = 78;
