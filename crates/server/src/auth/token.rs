//! API bearer tokens: HS256 JSON Web Tokens (RFC 7519) that carry the session id. The token alone
//! is never enough: the session it names must be live in the database, so logout and
//! deactivation take effect at once.
//!
//! MedVault signs and checks one algorithm, which takes a few lines over HMAC. A general JWT
//! library would bring every other algorithm into the build (RSA among them, under an open timing
//! advisory) and a header whose `alg` must be distrusted; here the header must be exactly one
//! that MedVault writes: HS256 and the id of a key it holds (the current one, or a previous one
//! during a rotation of `MEDVAULT_SECRET`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use medvault_domain::{SessionId, UserId};
use serde::{Deserialize, Serialize};

use super::keys::{Key, KeyRing, hmac_sha256, verify_hmac};
use crate::error::AppError;

const ISSUER: &str = "medvault";

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    sid: String,
    iat: i64,
    exp: i64,
}

/// A key and the encoded header of the tokens it signs.
struct Signer {
    key: [u8; 32],
    header: String,
}

impl Signer {
    fn new(key: &Key) -> Self {
        let header = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{}"}}"#, key.id);
        Signer {
            key: key.bytes,
            header: URL_SAFE_NO_PAD.encode(header),
        }
    }
}

pub struct TokenCodec {
    /// The current key first: it signs; the others only verify.
    signers: Vec<Signer>,
}

impl TokenCodec {
    pub fn new(keys: &KeyRing) -> Self {
        TokenCodec {
            signers: keys.all().map(Signer::new).collect(),
        }
    }

    /// A token for `session`, valid from `issued_at` until `expires_at` (Unix seconds).
    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<String, AppError> {
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: user.to_string(),
            sid: session.to_string(),
            iat: issued_at,
            exp: expires_at,
        };
        let payload = serde_json::to_vec(&claims)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("token encoding failed: {e}")))?;
        let signer = self
            .signers
            .first()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no key to sign tokens with")))?;
        let signed = format!("{}.{}", signer.header, URL_SAFE_NO_PAD.encode(payload));
        let signature = hmac_sha256(&signer.key, signed.as_bytes());
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The session a token names, if MedVault signed it and it has not expired at `now` (Unix
    /// seconds).
    pub fn session_of(&self, token: &str, now: i64) -> Option<SessionId> {
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        let signer = self.signers.iter().find(|signer| signer.header == header)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if !verify_hmac(&signer.key, signed.as_bytes(), &signature) {
            return None;
        }
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        if claims.iss != ISSUER || now >= claims.exp {
            return None;
        }
        claims.sid.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn key(byte: u8) -> Key {
        Key {
            id: format!("k{byte}"),
            bytes: [byte; 32],
        }
    }

    fn codec(byte: u8) -> TokenCodec {
        TokenCodec::new(&KeyRing {
            current: key(byte),
            previous: Vec::new(),
        })
    }

    #[test]
    fn a_previous_key_still_verifies_and_signs_nothing() {
        let old = codec(7);
        let session = SessionId::new();
        let token = old
            .issue(UserId::new(), session, NOW, NOW + 60)
            .expect("signed");
        let rotated = TokenCodec::new(&KeyRing {
            current: key(9),
            previous: vec![key(7)],
        });
        assert_eq!(rotated.session_of(&token, NOW), Some(session));
        let fresh = rotated
            .issue(UserId::new(), session, NOW, NOW + 60)
            .expect("signed");
        assert_eq!(old.session_of(&fresh, NOW), None, "signed with the new key");
        assert_eq!(
            codec(9).session_of(&token, NOW),
            None,
            "once the old key is dropped"
        );
    }

    #[test]
    fn tokens_name_their_session_until_they_expire() {
        let codec = codec(7);
        let session = SessionId::new();
        let token = codec
            .issue(UserId::new(), session, NOW, NOW + 60)
            .expect("signed");
        assert_eq!(codec.session_of(&token, NOW), Some(session));
        assert_eq!(codec.session_of(&token, NOW + 59), Some(session));
        assert_eq!(codec.session_of(&token, NOW + 60), None, "expired at exp");
    }

    #[test]
    fn tokens_from_another_key_or_tampered_are_refused() {
        let ours = codec(7);
        let token = codec(8)
            .issue(UserId::new(), SessionId::new(), NOW, NOW + 60)
            .expect("signed");
        assert_eq!(ours.session_of(&token, NOW), None);
        for junk in ["", "not.a.token", "a.b", "..", "a.b.c.d"] {
            assert_eq!(ours.session_of(junk, NOW), None, "{junk:?}");
        }
        let good = ours
            .issue(UserId::new(), SessionId::new(), NOW, NOW + 60)
            .expect("signed");
        assert_eq!(ours.session_of(&format!("{good}x"), NOW), None);
        // A longer life, a stripped signature or another algorithm in the header: all refused.
        let (header, rest) = good.split_once('.').expect("three parts");
        let (payload, _) = rest.split_once('.').expect("three parts");
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("base64"))
            .expect("utf-8")
            .replace(&(NOW + 60).to_string(), &(NOW + 6000).to_string());
        let forged = format!(
            "{header}.{}.{}",
            URL_SAFE_NO_PAD.encode(claims),
            &good[good.rfind('.').expect("dot") + 1..]
        );
        assert_eq!(ours.session_of(&forged, NOW + 100), None);
        assert_eq!(ours.session_of(&format!("{header}.{payload}."), NOW), None);
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(ours.session_of(&format!("{none}.{payload}."), NOW), None);
    }
}
