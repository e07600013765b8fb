// Server TLS material: smtpd_tls_cert_file + smtpd_tls_key_file, or smtpd_tls_chain_files
// (each PEM file holding a private key followed by its certificate chain). Errors name the
// file and the parameter, because "TLS not available due to local problem" at run time is
// much harder to diagnose than a refusal to start.
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { SmtpdConfigError, type SmtpdSettings } from './settings.js';

async function readPem(parameter: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new SmtpdConfigError(`${parameter}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** True when the settings ask for TLS and name certificate material. */
export function tlsConfigured(s: SmtpdSettings): boolean {
  return (
    (s.tlsSecurityLevel !== 'none' || s.tlsWrapperMode) &&
    (s.tlsCertFile !== '' || s.tlsChainFiles.length > 0)
  );
}

export async function loadSecureContext(s: SmtpdSettings): Promise<SecureContext | undefined> {
  if (!tlsConfigured(s)) {
    if (s.tlsWrapperMode || s.tlsSecurityLevel === 'encrypt') {
      throw new SmtpdConfigError(
        `${s.tlsWrapperMode ? 'smtpd_tls_wrappermode = yes' : 'smtpd_tls_security_level = encrypt'} ` +
          'needs smtpd_tls_cert_file (and smtpd_tls_key_file) or smtpd_tls_chain_files',
      );
    }
    return undefined;
  }
  if (s.tlsChainFiles.length > 0) {
    const keys: string[] = [];
    const certs: string[] = [];
    for (const file of s.tlsChainFiles) {
      const pem = await readPem('smtpd_tls_chain_files', file);
      const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem);
      if (!key) throw new SmtpdConfigError(`smtpd_tls_chain_files: no private key in ${file}`);
      keys.push(key[0]);
      certs.push(pem.replace(key[0], ''));
    }
    return secureContext(keys, certs, s.tlsChainFiles.join(', '));
  }
  const cert = await readPem('smtpd_tls_cert_file', s.tlsCertFile);
  const keyFile = s.tlsKeyFile || s.tlsCertFile;
  const key = await readPem('smtpd_tls_key_file', keyFile);
  if (!/-----BEGIN [A-Z ]*CERTIFICATE-----/.test(cert)) {
    throw new SmtpdConfigError(`smtpd_tls_cert_file: no PEM certificate in ${s.tlsCertFile}`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw new SmtpdConfigError(`smtpd_tls_key_file: no PEM private key in ${keyFile}`);
  }
  return secureContext([key], [cert], `${s.tlsCertFile} / ${keyFile}`);
}

function secureContext(keys: string[], certs: string[], files: string): SecureContext {
  try {
    return createSecureContext({ key: keys, cert: certs, minVersion: 'TLSv1' });
  } catch (e) {
    throw new SmtpdConfigError(`cannot load TLS certificate/key from ${files}: ${(e as Error).message}`);
  }
}
