// Real SASL clients for the SASL end-to-end tests (issue 12): python3 imaplib driving SCRAM,
// CRAM-MD5, LOGIN and OAuth2 mechanisms through imaplib.authenticate's challenge callback.

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) over imaplib: client-first, client-final with the proof,
 * then the server's verifier checked. Prints `PROOF <b64>`, `FINAL <b64 of client-final>`,
 * `VERIFIER <b64>` and `AUTH OK`. argv: host port user password
 */
export const PY_SCRAM = String.raw`
import imaplib, sys, hashlib, hmac, base64, os
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
cnonce = base64.b64encode(os.urandom(18)).decode()
st = {}
def step(challenge):
    if 'first' not in st:
        st['first'] = 'n=%s,r=%s' % (user, cnonce)
        return ('n,,' + st['first']).encode()
    if 'final' not in st:
        sf = challenge.decode()
        attrs = dict(kv.split('=', 1) for kv in sf.split(','))
        salted = hashlib.pbkdf2_hmac('sha256', pw.encode(), base64.b64decode(attrs['s']), int(attrs['i']))
        ckey = hmac.new(salted, b'Client Key', 'sha256').digest()
        without = 'c=biws,r=' + attrs['r']
        auth = ','.join([st['first'], sf, without]).encode()
        sig = hmac.new(hashlib.sha256(ckey).digest(), auth, 'sha256').digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(ckey, sig))).decode()
        skey = hmac.new(salted, b'Server Key', 'sha256').digest()
        st['expect'] = base64.b64encode(hmac.new(skey, auth, 'sha256').digest()).decode()
        st['final'] = without + ',p=' + proof
        print('PROOF', proof)
        print('FINAL', base64.b64encode(st['final'].encode()).decode())
        return st['final'].encode()
    assert challenge.decode() == 'v=' + st['expect'], challenge
    print('VERIFIER', st['expect'])
    return b''
typ, dat = m.authenticate('SCRAM-SHA-256', step)
assert typ == 'OK', dat
print('AUTH OK')
m.logout()
`;

/** CRAM-MD5 (imaplib.login_cram_md5) then AUTHENTICATE LOGIN on a second connection. argv: host port user password */
export const PY_CRAM_AND_LOGIN = String.raw`
import imaplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
typ, dat = m.login_cram_md5(user, pw)
assert typ == 'OK', dat
m.logout()
m = imaplib.IMAP4(host, port)
answers = [user.encode(), pw.encode()]
typ, dat = m.authenticate('LOGIN', lambda challenge: answers.pop(0))
assert typ == 'OK', dat
m.logout()
print('AUTH OK')
`;

/**
 * XOAUTH2 with a refused token (the server answers with its error JSON), then OAUTHBEARER with an
 * accepted one, over imaplib. Prints the error JSON the client decoded as `ERROR <json>`.
 * argv: host port user refused-token accepted-token
 */
export const PY_OAUTH = String.raw`
import imaplib, sys
host, port, user, token, good = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
m = imaplib.IMAP4(host, port)
sent = []
def xoauth2(challenge):
    if sent:
        print('ERROR', challenge.decode())
        return b''
    sent.append(1)
    return ('user=%s\x01auth=Bearer %s\x01\x01' % (user, token)).encode()
try:
    m.authenticate('XOAUTH2', xoauth2)
    print('UNEXPECTED OK')
except imaplib.IMAP4.error as e:
    print('XOAUTH2 NO', e)
typ, dat = m.authenticate('OAUTHBEARER', lambda c: ('n,a=%s,\x01host=%s\x01port=%d\x01auth=Bearer %s\x01\x01' % (user, host, port, good)).encode())
assert typ == 'OK', dat
print('AUTH OK')
m.logout()
`;
