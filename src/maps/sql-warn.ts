// Where the SQL drivers send Postfix-style warnings ("query failed on host ..."). Standard
// error by default, like postmap; a daemon points it at its MailLog. Messages never carry a
// password: the drivers build them from host names and server error texts only.
let sink: (message: string) => void = (message) => {
  process.stderr.write(`warning: ${message}\n`);
};

export function setSqlWarningSink(next: (message: string) => void): void {
  sink = next;
}

export function sqlWarn(message: string): void {
  sink(message);
}
