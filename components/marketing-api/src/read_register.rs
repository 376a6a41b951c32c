//! `GET /api/v1/register/{checkpoint,key,tile/...}`: the processing register as C2SP tlog-tiles, for any
//! standard client (and witnesses): the signed checkpoint, the verifier key, hash tiles
//! `tile/{L}/{N}[.p/{W}]` and entry bundles `tile/entries/{N}[.p/{W}]`. Needs `register:read`, unless
//! `register_public` is `true` (leaves hold no personal data). Reads of the register are not themselves
//! registered: an auditor fetching every tile would otherwise grow what it audits.

use crate::config::ApiConfig;
use http::Response;
use shared::http::{ApiError, Reply, bytes_response};
use shared::register::merkle::empty_root;
use shared::register::note::Checkpoint;
use shared::register::tiles::{Tile, WIDTH};
use shared::store::{Backend, Store};

/// Tiles that are full never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const FRESH: &str = "no-store";

/// What a register path names.
pub enum Wanted<'a> {
    Checkpoint,
    Key,
    Tile(&'a [&'a str]),
}

pub async fn read_register<B: Backend>(
    wanted: Wanted<'_>,
    config: &ApiConfig,
    store: &Store<B>,
) -> Result<Response<Reply>, ApiError> {
    let not_configured = ApiError::NotConfigured {
        code: "register_not_configured",
        message: "The register is not signed yet: set the register_signing_key variable (64 hex characters).",
    };
    match wanted {
        Wanted::Checkpoint => {
            let note = match store.register_checkpoint().await? {
                Some(note) => note,
                // Before the first run: the empty tree, signed.
                None => {
                    let signer = config.register.as_ref().ok_or(not_configured)?;
                    signer.sign(&Checkpoint {
                        origin: shared::register::origin(&config.privacy.public_base_url),
                        size: 0,
                        root: empty_root(),
                    })
                }
            };
            Ok(bytes_response(
                note.into_bytes(),
                "text/plain; charset=utf-8",
                FRESH,
            ))
        }
        Wanted::Key => {
            let key = match (store.register_verifier().await?, &config.register) {
                (_, Some(signer)) => signer.verifier_key(),
                (Some(key), None) => key,
                (None, None) => return Err(not_configured),
            };
            Ok(bytes_response(
                key.into_bytes(),
                "text/plain; charset=utf-8",
                FRESH,
            ))
        }
        Wanted::Tile(segments) => {
            let tile = Tile::parse(segments).ok_or(ApiError::BadRequest {
                code: "invalid_tile",
                message: "Not a tile path: tile/{L}/{N}[.p/{W}] or tile/entries/{N}[.p/{W}], N in 3-digit groups (x001/234)".into(),
            })?;
            let bytes = store.register_tile(tile).await?.ok_or(ApiError::NotFound)?;
            let cache = if tile.width == WIDTH {
                IMMUTABLE
            } else {
                FRESH
            };
            Ok(bytes_response(bytes, "application/octet-stream", cache))
        }
    }
}
