// Configuration fixtures for the postconf tests: the SOHO examples of the spec
// and a master.cf with the stock services plus submission/submissions.

export const STOCK_MASTER_CF = `# service type  private unpriv  chroot  wakeup  maxproc command + args
#               (yes)   (yes)   (no)    (never) (100)
smtp      inet  n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export const SUBMISSION_MASTER_CF = `submission  inet n - y - - smtpd  -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt
    -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes -o smtpd_reject_unlisted_recipient=no
    -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject -o milter_macro_daemon_name=ORIGINATING
submissions inet n - y - - smtpd  -o syslog_name=postfix/submissions -o smtpd_tls_wrappermode=yes
    -o smtpd_sasl_auth_enable=yes -o smtpd_reject_unlisted_recipient=no
    -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
`;

export const FULL_MASTER_CF = STOCK_MASTER_CF + SUBMISSION_MASTER_CF;

/** The main.cf a SOHO user writes per the spec (relay through an ISP with SASL, generic maps). */
export const SOHO_MAIN_CF = `# Outpost SOHO example
compatibility_level = 3.7
myhostname = pc.localdomain.local
mydomain = localdomain.local
myorigin = $mydomain
recipient_delimiter = +
inet_interfaces = loopback-only
mynetworks = 127.0.0.0/8 192.168.1.0/28 [::1]/128
relayhost = [mail.isp.example]:submission
smtp_generic_maps = hash:/etc/postfix/generic
canonical_maps = hash:/etc/postfix/canonical
virtual_alias_maps = hash:/etc/postfix/virtual
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
smtp_sasl_mechanism_filter = plain, login
sender_dependent_relayhost_maps = hash:/etc/postfix/sender_relay
smtp_sender_dependent_authentication = yes
smtp_tls_security_level = encrypt
smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt
smtp_tls_loglevel = 1
smtp_tls_policy_maps = hash:/etc/postfix/tls_policy
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
message_size_limit = 20480000
home_mailbox = Maildir/
`;

/** Wrapper-mode variant: implicit TLS to the ISP's port 465. */
export const SOHO_SMTPS_MAIN_CF = `compatibility_level = 3.7
relayhost = [mail.isp.example]:465
smtp_tls_wrappermode = yes
smtp_tls_security_level = encrypt
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_sasl_tls_security_options = noanonymous
`;

/** The smtpd_banner example of spec/config.md. */
export const BANNER_MAIN_CF = `myhostname = host.example.com
relayhost = [mail.isp.example]:submission
smtpd_banner = $myhostname \${relayhost?{relay=$relayhost}:{norelay}} \${nosuch:fb} \${relayhost:unused} \${relayhost?set} $$literal \${{$compatibility_level} <level {3.6} ? {old} : {new}}
`;
