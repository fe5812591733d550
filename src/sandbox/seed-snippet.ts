/**
 * The Python Code step from the seed (../../../shared/seeds/000_c87729d77fe8a1c6.txt, "Verifing the Signature"), as
 * Zapier runs it: the body of a function with `input_data` (webhook_signing_key, timestamp, signature, payload: all
 * strings) in scope.
 */

/** Verbatim from the seed. Line 8 is a syntax error: `hmac.new(signing_key.encode(),` is missing. */
export const SEED_SNIPPET_ORIGINAL = String.raw`import hmac, hashlib, json

signing_key = input_data['webhook_signing_key']
timestamp = input_data['timestamp']
signature = input_data['signature']
payload = json.loads(input_data['payload'])

calculated_signature =, f"{timestamp},{payload}".encode(), digestmod=hashlib.sha256).hexdigest()

if calculated_signature == signature:
    return {"result": "PASS", "payload": payload}
return {"result": "Signature cannot be verified, request might not be legit"}`;

/**
 * The seed's snippet repaired as the receiver spec says (../../../shared/spec/receiver.md): line 8 gets its
 * `hmac.new(signing_key.encode(),` back and signs the raw body `f"{timestamp},{input_data['payload']}"` — the seed
 * signed `f"{timestamp},{payload}"`, the repr of the parsed dict, which can never match what Determined signed — and
 * compares with `hmac.compare_digest` (constant time), as the spec asks. Every other line is the seed's own.
 */
export const SEED_SNIPPET_REPAIRED = String.raw`import hmac, hashlib, json

signing_key = input_data['webhook_signing_key']
timestamp = input_data['timestamp']
signature = input_data['signature']
payload = json.loads(input_data['payload'])

calculated_signature = hmac.new(signing_key.encode(), f"{timestamp},{input_data['payload']}".encode(), digestmod=hashlib.sha256).hexdigest()

if hmac.compare_digest(calculated_signature, signature):
    return {"result": "PASS", "payload": payload}
return {"result": "Signature cannot be verified, request might not be legit"}`;
