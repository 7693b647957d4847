//! API bearer tokens: HS256 JWTs that carry the session id. The token alone is never enough: the
//! session it names must be live in the database, so logout and deactivation take effect at once.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use medvault_domain::{SessionId, UserId};
use serde::{Deserialize, Serialize};

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

pub struct TokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenCodec {
    pub fn new(key: &[u8; 32]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        TokenCodec {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
        }
    }

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
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("token signing failed: {e}")))
    }

    /// The session a well-signed, unexpired token names.
    pub fn session_of(&self, token: &str) -> Option<SessionId> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        data.claims.sid.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn tokens_name_their_session_until_they_expire() {
        let codec = TokenCodec::new(&[7; 32]);
        let session = SessionId::new();
        let token = codec
            .issue(UserId::new(), session, now(), now() + 60)
            .expect("signed");
        assert_eq!(codec.session_of(&token), Some(session));
        let expired = codec
            .issue(UserId::new(), session, now() - 120, now() - 60)
            .expect("signed");
        assert_eq!(codec.session_of(&expired), None);
    }

    #[test]
    fn tokens_from_another_key_or_tampered_are_refused() {
        let ours = TokenCodec::new(&[7; 32]);
        let theirs = TokenCodec::new(&[8; 32]);
        let token = theirs
            .issue(UserId::new(), SessionId::new(), now(), now() + 60)
            .expect("signed");
        assert_eq!(ours.session_of(&token), None);
        assert_eq!(ours.session_of("not.a.token"), None);
        let mut good = ours
            .issue(UserId::new(), SessionId::new(), now(), now() + 60)
            .expect("signed");
        good.push('x');
        assert_eq!(ours.session_of(&good), None);
    }
}
