// The header lines local(8) prepends to every mailbox delivery (Postfix local/mailbox.c):
//   Return-Path: <sender>        envelope sender, "<>" for the null sender
//   X-Original-To: original      the recipient as first received (enable_original_recipient)
//   Delivered-To: recipient      the final local recipient; also the loop detector
export interface DeliveryAddresses {
  sender: string;
  /** The recipient being delivered to (after aliasing), fully qualified. */
  recipient: string;
  /** The recipient as originally received. */
  original: string;
}

export function deliveredHeaders(a: DeliveryAddresses): string {
  return `Return-Path: <${a.sender}>\nX-Original-To: ${a.original}\nDelivered-To: ${a.recipient}\n`;
}

/** The mbox "From " line: "From sender  asctime" (MAILER-DAEMON for the null sender). */
export function mboxFromLine(sender: string, asctimeText: string): string {
  return `From ${sender || 'MAILER-DAEMON'}  ${asctimeText}\n`;
}
