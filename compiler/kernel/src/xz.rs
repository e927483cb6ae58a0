//! An `.xz` container reader for kernel payloads. The kernel compresses x86
//! bzImages with `xz --x86 --lzma2`, and lzma-rs's own xz reader does not
//! know the x86 BCJ filter; so this module walks the xz container (stream
//! header, blocks, index), decodes each block's LZMA2 data with lzma-rs, and
//! undoes the x86 BCJ branch conversion itself.
//!
//! Invariant: every length comes from the input and is bounds checked; bad
//! input is an `Err(String)` describing where it broke, never a panic.
//! Bytes after the stream (the kernel appends the uncompressed size) are
//! ignored.

const FILTER_X86: u64 = 0x04;
const FILTER_LZMA2: u64 = 0x21;

fn varint(d: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *d.get(*pos).ok_or("truncated block header")?;
        *pos += 1;
        v |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("overlong integer in block header".to_string())
}

/// Decompress a whole `.xz` stream.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, String> {
    if data.len() < 12 || &data[..6] != b"\xfd7zXZ\x00" {
        return Err("no xz stream header".to_string());
    }
    let check_kind = data[7] & 0x0f;
    let check_len = match check_kind {
        0 => 0,
        1 => 4,
        4 => 8,
        10 => 32,
        k => return Err(format!("unknown xz check type {k}")),
    };
    let mut pos = 12;
    let mut out = Vec::with_capacity(data.len() * 5);
    loop {
        let hb = *data.get(pos).ok_or("truncated: no index")?;
        if hb == 0 {
            // The index: the stream is complete.
            if out.is_empty() {
                return Err("the stream holds no data (truncated?)".to_string());
            }
            return Ok(out);
        }
        let hsize = (hb as usize + 1) * 4;
        let header = data.get(pos..pos + hsize).ok_or("truncated block header")?;
        let flags = header[1];
        let nfilters = (flags & 3) as usize + 1;
        let mut hp = 2;
        if flags & 0x40 != 0 {
            varint(header, &mut hp)?;
        }
        if flags & 0x80 != 0 {
            varint(header, &mut hp)?;
        }
        let mut bcj = None;
        let mut lzma2 = false;
        for _ in 0..nfilters {
            let id = varint(header, &mut hp)?;
            let psize = varint(header, &mut hp)? as usize;
            let props = header
                .get(hp..hp + psize)
                .ok_or("truncated filter properties")?;
            hp += psize;
            match id {
                FILTER_X86 => {
                    let start = if props.len() == 4 {
                        u32::from_le_bytes([props[0], props[1], props[2], props[3]])
                    } else {
                        0
                    };
                    bcj = Some(start);
                }
                FILTER_LZMA2 => lzma2 = true,
                other => return Err(format!("unsupported xz filter id {other:#x}")),
            }
        }
        if !lzma2 {
            return Err("xz block without an LZMA2 filter".to_string());
        }
        pos += hsize;
        let mut input = data.get(pos..).ok_or("truncated block")?;
        let before = input.len();
        let block_start = out.len();
        lzma_rs::lzma2_decompress(&mut input, &mut out).map_err(|e| format!("LZMA2: {e}"))?;
        let used = before - input.len();
        pos += used;
        // Block padding to a multiple of four, then the check.
        pos = pos.div_ceil(4) * 4 + check_len;
        if pos > data.len() {
            return Err("truncated block check".to_string());
        }
        if let Some(start) = bcj {
            x86_decode(&mut out[block_start..], start);
        }
    }
}

/// Undo the x86 BCJ filter in place: relative `call`/`jmp` targets (`E8`/`E9`
/// followed by a 32-bit displacement whose top byte is 00 or FF) were turned
/// into absolute addresses by the encoder; turn them back. `start` is the
/// stream position of `buf[0]`.
pub fn x86_decode(buf: &mut [u8], start: u32) {
    const ALLOWED: [bool; 8] = [true, true, true, false, true, false, false, false];
    const BIT_NUM: [u32; 8] = [0, 1, 2, 2, 3, 3, 3, 3];
    let test = |b: u8| b == 0x00 || b == 0xff;
    if buf.len() <= 4 {
        return;
    }
    let size = buf.len() - 4;
    let mut prev_pos: usize = usize::MAX;
    let mut prev_mask: u32 = 0;
    let mut i = 0;
    while i < size {
        if buf[i] & 0xfe != 0xe8 {
            i += 1;
            continue;
        }
        let dist = i.wrapping_sub(prev_pos);
        if dist > 3 {
            prev_mask = 0;
        } else {
            prev_mask = (prev_mask << (dist - 1)) & 7;
            if prev_mask != 0 {
                let b = buf[i + 4 - BIT_NUM[prev_mask as usize] as usize];
                if !ALLOWED[prev_mask as usize] || test(b) {
                    prev_pos = i;
                    prev_mask = (prev_mask << 1) | 1;
                    i += 1;
                    continue;
                }
            }
        }
        prev_pos = i;
        if test(buf[i + 4]) {
            let mut src = u32::from_le_bytes([buf[i + 1], buf[i + 2], buf[i + 3], buf[i + 4]]);
            let mut dest;
            loop {
                dest = src.wrapping_sub(start.wrapping_add(i as u32).wrapping_add(5));
                if prev_mask == 0 {
                    break;
                }
                let j = BIT_NUM[prev_mask as usize] * 8;
                let b = (dest >> (24 - j)) as u8;
                if !test(b) {
                    break;
                }
                src = dest ^ ((1u32 << (32 - j)) - 1);
            }
            dest &= 0x01ff_ffff;
            dest |= 0u32.wrapping_sub(dest & 0x0100_0000);
            buf[i + 1..i + 5].copy_from_slice(&dest.to_le_bytes());
            i += 5;
        } else {
            prev_mask = (prev_mask << 1) | 1;
            i += 1;
        }
    }
}
