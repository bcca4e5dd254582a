//! G.711 (ITU-T, 1972): µ-law (PCMU) and A-law (PCMA), the codecs every
//! WebRTC browser and SIP phone speaks. Linear 16-bit samples at 8 kHz in and
//! out, so mixing and the SIP side need no transcoding library. (No
//! maintained crate on the registry does only this; the algorithm is the
//! standard's segment table, a few lines each way.)

/// One of the two G.711 laws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// µ-law, RTP payload type 0 (North America, Japan; WebRTC's default).
    Mu,
    /// A-law, RTP payload type 8 (the rest of the world).
    A,
}

impl Law {
    pub fn encode(self, samples: &[i16], out: &mut Vec<u8>) {
        out.clear();
        out.extend(samples.iter().map(|&s| match self {
            Law::Mu => encode_mu(s),
            Law::A => encode_a(s),
        }));
    }

    pub fn decode(self, bytes: &[u8], out: &mut Vec<i16>) {
        out.clear();
        out.extend(bytes.iter().map(|&b| match self {
            Law::Mu => decode_mu(b),
            Law::A => decode_a(b),
        }));
    }
}

const MU_BIAS: i32 = 0x84;
const MU_CLIP: i32 = 32635;

fn encode_mu(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(MU_CLIP) + MU_BIAS;
    // The segment is the highest set bit above bit 7.
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && s & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

fn decode_mu(byte: u8) -> i16 {
    let b = !byte;
    let sign = b & 0x80;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F);
    let magnitude = (((mantissa << 3) + MU_BIAS) << exponent) - MU_BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

fn encode_a(sample: i16) -> u8 {
    let (sign, magnitude) = if sample >= 0 {
        (0x80u8, i32::from(sample))
    } else {
        (0x00u8, -i32::from(sample) - 1)
    };
    let magnitude = magnitude.min(0x7FFF) >> 3;
    let byte = if magnitude < 32 {
        (magnitude >> 1) as u8
    } else {
        let exponent = 31 - (magnitude as u32).leading_zeros() - 4;
        let mantissa = (magnitude >> exponent) & 0x0F;
        ((exponent << 4) as u8) | mantissa as u8
    };
    (sign | byte) ^ 0x55
}

fn decode_a(byte: u8) -> i16 {
    let b = byte ^ 0x55;
    let sign = b & 0x80;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_has_the_standard_code_words() {
        assert_eq!(encode_mu(0), 0xFF);
        assert_eq!(decode_mu(0xFF), 0);
        assert_eq!(encode_a(0), 0xD5);
        assert_eq!(decode_a(0xD5), 8);
    }

    #[test]
    fn full_scale_saturates_to_the_last_segment() {
        assert_eq!(encode_mu(i16::MAX), 0x80);
        assert_eq!(encode_mu(i16::MIN), 0x00);
        assert_eq!(decode_mu(0x80), 32124);
        assert_eq!(encode_a(i16::MAX), 0xAA);
        assert_eq!(decode_a(0xAA), 32256);
    }

    #[test]
    fn every_code_word_decodes_and_encodes_back() {
        for law in [Law::Mu, Law::A] {
            for byte in 0..=255u8 {
                let mut pcm = vec![];
                law.decode(&[byte], &mut pcm);
                let mut back = vec![];
                law.encode(&pcm, &mut back);
                let mut again = vec![];
                law.decode(&back, &mut again);
                // µ-law has two zeros (+0 and −0): either is right.
                assert_eq!(again, pcm, "{law:?} {byte:#04x}");
            }
        }
    }

    #[test]
    fn the_quantisation_error_is_within_a_segment_step() {
        for law in [Law::Mu, Law::A] {
            for sample in (-32000i16..32000).step_by(97) {
                let mut bytes = vec![];
                law.encode(&[sample], &mut bytes);
                let mut pcm = vec![];
                law.decode(&bytes, &mut pcm);
                let error = (i32::from(pcm[0]) - i32::from(sample)).abs();
                let step = (i32::from(sample).abs() / 16).max(16);
                assert!(
                    error <= step,
                    "{law:?} {sample} → {} (error {error})",
                    pcm[0]
                );
            }
        }
    }
}
