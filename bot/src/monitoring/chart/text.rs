//! Text on the chart: DejaVu Sans, embedded in the binary, rasterized with ab_glyph straight into
//! the chart's RGB buffer, so the host needs no fonts and no fontconfig, and Cyrillic renders as
//! well as Latin.
//!
//! This does not go through plotters' own `ab_glyph` feature: plotters 0.3.7 places each glyph at
//! the integer caret without its side bearing, which spaces letters unevenly ("exampl e.com").
//! Here each glyph is placed at its fractional position and drawn where its outline's pixel
//! bounds say.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

static FONT: LazyLock<Option<FontRef<'static>>> =
    LazyLock::new(|| FontRef::try_from_slice(crate::font::DEJAVU_SANS).ok());

/// Which point along a text's width its anchor marks; vertically the anchor is the text's middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Center,
    Right,
}

/// Draws text into a `width` × `height` RGB buffer.
pub struct Pen<'a> {
    font: &'a FontRef<'static>,
    rgb: &'a mut [u8],
    width: u32,
    height: u32,
}

impl<'a> Pen<'a> {
    /// A pen on `rgb`; None if the embedded font does not parse.
    pub fn new(rgb: &'a mut [u8], width: u32, height: u32) -> Option<Pen<'a>> {
        Some(Pen { font: FONT.as_ref()?, rgb, width, height })
    }

    /// How wide `text` is at `size` pixels, in pixels.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let font = self.font.as_scaled(PxScale::from(size));
        let mut caret = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                caret += font.kern(previous, id);
            }
            caret += font.h_advance(id);
            previous = Some(id);
        }
        caret
    }

    /// `text`, cut and ended with "…" until it fits `max_width` pixels at `size`.
    pub fn fit(&self, text: &str, size: f32, max_width: f32) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        let mut fitted = text.to_owned();
        while !chars.is_empty() && self.width(&fitted, size) > max_width {
            chars.pop();
            fitted = chars.iter().collect::<String>() + "…";
        }
        fitted
    }

    /// Draws `text` at `size` pixels in `color`, its vertical middle at `y` and aligned on `x`.
    pub fn draw(&mut self, text: &str, size: f32, color: [u8; 3], (x, y): (f32, f32), align: Align) {
        let scale = PxScale::from(size);
        let font = self.font.as_scaled(scale);
        let mut caret = match align {
            Align::Center => x - self.width(text, size) / 2.0,
            Align::Right => x - self.width(text, size),
        };
        // The baseline sits so that the span from ascent to descent is centred on y.
        let baseline = y + (font.ascent() + font.descent()) / 2.0;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                caret += font.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            caret += font.h_advance(id);
            previous = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            let (left, top) = (bounds.min.x as i64, bounds.min.y as i64);
            outline.draw(|gx, gy, coverage| self.blend(left + i64::from(gx), top + i64::from(gy), color, coverage));
        }
    }

    fn blend(&mut self, x: i64, y: i64, color: [u8; 3], coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let i = ((y as usize) * (self.width as usize) + x as usize) * 3;
        let coverage = coverage.clamp(0.0, 1.0);
        for (channel, ink) in self.rgb[i..i + 3].iter_mut().zip(color) {
            *channel = (f32::from(*channel) * (1.0 - coverage) + f32::from(ink) * coverage).round() as u8;
        }
    }
}
