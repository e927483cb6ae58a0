//! LZ4 "legacy" frames, as the kernel's `CONFIG_KERNEL_LZ4` bzImages use
//! (Debian's cloud kernels): the magic `02 21 4c 18`, then blocks, each a
//! 32-bit little-endian compressed size and an independent LZ4 block. The
//! kernel appends the uncompressed size after the last block; a size that
//! runs past the input ends the stream.
//!
//! Invariant: every read is bounds checked; bad input is an `Err(String)`.

const LEGACY_MAGIC: u32 = 0x184c_2102;

fn le32(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decompress a legacy LZ4 stream.
pub fn decompress_legacy(data: &[u8]) -> Result<Vec<u8>, String> {
    if le32(data, 0) != Some(LEGACY_MAGIC) {
        return Err("no LZ4 legacy magic".to_string());
    }
    let mut pos = 4;
    let mut out = Vec::with_capacity(data.len() * 4);
    while let Some(size) = le32(data, pos) {
        if size == LEGACY_MAGIC {
            pos += 4;
            continue;
        }
        let start = pos + 4;
        let Some(block) = data.get(start..start + size as usize) else {
            break;
        };
        if size == 0 {
            break;
        }
        block_into(block, &mut out)?;
        pos = start + size as usize;
    }
    if out.is_empty() {
        return Err("the stream holds no data (truncated?)".to_string());
    }
    Ok(out)
}

/// Decode one LZ4 block, appending to `out`.
pub fn block_into(b: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut i = 0;
    let long_len = |i: &mut usize, mut n: usize| -> Result<usize, String> {
        if n == 15 {
            loop {
                let x = *b.get(*i).ok_or("LZ4 length runs past the block")?;
                *i += 1;
                n += x as usize;
                if x != 255 {
                    break;
                }
            }
        }
        Ok(n)
    };
    while i < b.len() {
        let token = b[i];
        i += 1;
        let lit = long_len(&mut i, (token >> 4) as usize)?;
        let lits = b.get(i..i + lit).ok_or("LZ4 literals run past the block")?;
        out.extend_from_slice(lits);
        i += lit;
        if i >= b.len() {
            break;
        }
        let off = b
            .get(i..i + 2)
            .map(|x| u16::from_le_bytes([x[0], x[1]]) as usize)
            .ok_or("LZ4 offset cut")?;
        i += 2;
        let mlen = long_len(&mut i, (token & 15) as usize)? + 4;
        if off == 0 || off > out.len() {
            return Err(format!(
                "LZ4 match offset {off} before the start of the output"
            ));
        }
        let from = out.len() - off;
        for k in 0..mlen {
            let c = out[from + k];
            out.push(c);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_stream() {
        // "abcabcabcabcX": 3 literals, then a match of 9 at offset 3, then
        // a final literal (the last sequence has literals only).
        let block = [0x35, b'a', b'b', b'c', 3, 0, 0x10, b'X'];
        let mut s = LEGACY_MAGIC.to_le_bytes().to_vec();
        s.extend_from_slice(&(block.len() as u32).to_le_bytes());
        s.extend_from_slice(&block);
        s.extend_from_slice(&13u32.to_le_bytes()); // the kernel's size trailer
        assert_eq!(decompress_legacy(&s).unwrap(), b"abcabcabcabcX");
        // Truncations and bad offsets are errors, never panics.
        for n in 0..s.len() - 4 {
            let _ = decompress_legacy(&s[..n]);
        }
        let mut bad = s.clone();
        bad[8 + 4] = 9; // offset 9 > 3 bytes of output
        assert!(decompress_legacy(&bad).unwrap_err().contains("offset"));
        assert!(decompress_legacy(b"\x02\x21\x4c\x18").is_err());
    }
}
