//! `/labels [category]` (admins): an A4 PDF sheet of QR-code labels, [`COLUMNS`] × [`ROWS`] a
//! page, as many pages as there are devices (at most [`MAX_LABELS`]; a category narrows a larger
//! catalog). Each label has the device's QR code, which links to `https://t.me/<bot>?start=dev_<id>`
//! so a phone's camera opens the device's card, its name and its inventory number.
//!
//! The QR code is a 1-bit image of one pixel per module with its quiet zone, drawn at [`QR_MM`]
//! without interpolation, so it stays sharp at any print resolution; the text is DejaVu Sans,
//! embedded in the PDF, so Cyrillic names print. Rendering is pure ([`sheet`]) and runs on the
//! blocking pool: a thousand labels take well under a second.

use printpdf::{
    ColorBits, ColorSpace, CustomPdfConformance, Image, ImageTransform, ImageXObject, IndirectFontRef, Mm,
    PdfConformance, PdfDocument, PdfLayerReference, Px,
};
use qrcode::{Color, EcLevel, QrCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::entities::device;
use shared::equipment::texts::catalog::{Text, t};
use teloxide::prelude::Requester;
use teloxide::types::InputFile;

use crate::cx::Cx;
use crate::slice::{Audience, Slice};
use crate::{HandlerResult, reply};

/// Labels across a page.
pub const COLUMNS: usize = 3;
/// Labels down a page.
pub const ROWS: usize = 8;
/// The most labels one sheet holds (100 pages).
pub const MAX_LABELS: u64 = 2400;
/// The printed side of a QR code, quiet zone included, in millimetres.
pub const QR_MM: f32 = 30.0;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN_X: f32 = 7.5;
const MARGIN_Y: f32 = 8.5;
const CELL_W: f32 = (PAGE_W - 2.0 * MARGIN_X) / COLUMNS as f32;
const CELL_H: f32 = (PAGE_H - 2.0 * MARGIN_Y) / ROWS as f32;
/// Characters of a name per line beside the code (9 pt DejaVu Sans in about 31 mm).
const LINE_CHARS: usize = 17;
const NAME_LINES: usize = 3;

/// Adds `/labels`.
pub fn register(slice: Slice) -> Slice {
    slice.command("labels", Audience::Admin, |l| t(l, Text::CmdLabels), labels)
}

/// What one label shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: i64,
    pub name: String,
    pub inventory_no: String,
}

/// Why a sheet could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The link does not fit a QR code (it always does: it is short).
    #[error("qr code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    #[error("pdf: {0}")]
    Pdf(#[from] printpdf::Error),
}

/// The link a label's code carries: it opens the device's card in the bot.
pub fn deep_link(bot_username: &str, id: i64) -> String {
    format!("https://t.me/{bot_username}?start=dev_{id}")
}

async fn labels(cx: Cx, args: String) -> HandlerResult {
    let (lang, db) = (cx.lang(), &cx.deps.db);
    let category = args.trim();
    let mut query = device::Entity::find();
    if !category.is_empty() {
        query = query.filter(device::Column::Category.eq(category));
    }
    let total = query.clone().count(db).await?;
    if total == 0 {
        return cx.reply(t(lang, Text::NoLabels)).await;
    }
    let rows: Vec<(i64, String, String)> = query
        .select_only()
        .column(device::Column::Id)
        .column(device::Column::Name)
        .column(device::Column::InventoryNo)
        .order_by_asc(device::Column::Id)
        .limit(MAX_LABELS)
        .into_tuple()
        .all(db)
        .await?;
    let labels: Vec<Label> =
        rows.into_iter().map(|(id, name, inventory_no)| Label { id, name, inventory_no }).collect();
    let n = labels.len() as u64;
    let me = cx.bot.get_me().await?;
    let username = me.username().to_owned();
    let started = std::time::Instant::now();
    let pdf = tokio::task::spawn_blocking(move || sheet(&labels, &username)).await??;
    tracing::info!(
        labels = n,
        bytes = pdf.len(),
        millis = started.elapsed().as_millis() as u64,
        "label sheet rendered"
    );
    let mut caption = t(lang, Text::LabelsCaption { n });
    if total > n {
        caption.push('\n');
        caption.push_str(&t(lang, Text::LabelsCut { n, total }));
    }
    let file = InputFile::memory(pdf).file_name("labels.pdf");
    reply::document(&cx.bot, &cx.deps, cx.caller.chat, file, caption).await
}

/// The PDF of `labels` in order, [`COLUMNS`] × [`ROWS`] an A4 page.
pub fn sheet(labels: &[Label], bot_username: &str) -> Result<Vec<u8>, SheetError> {
    let (doc, page, layer) = PdfDocument::new("Device labels", Mm(PAGE_W), Mm(PAGE_H), "labels");
    // Plain PDF: the default conformance (PDF/X-3) would embed an ICC profile and XMP metadata
    // a label sheet has no use for.
    let doc = doc.with_conformance(PdfConformance::Custom(CustomPdfConformance {
        requires_icc_profile: false,
        requires_xmp_metadata: false,
        ..Default::default()
    }));
    let font = doc.add_external_font(std::io::Cursor::new(crate::font::DEJAVU_SANS))?;
    let per_page = COLUMNS * ROWS;
    let mut layer_ref = doc.get_page(page).get_layer(layer);
    for (i, label) in labels.iter().enumerate() {
        if i > 0 && i % per_page == 0 {
            let (page, layer) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "labels");
            layer_ref = doc.get_page(page).get_layer(layer);
        }
        let slot = i % per_page;
        let (col, row) = (slot % COLUMNS, slot / COLUMNS);
        let left = MARGIN_X + col as f32 * CELL_W;
        let top = PAGE_H - MARGIN_Y - row as f32 * CELL_H;
        draw_label(&layer_ref, &font, label, bot_username, left, top)?;
    }
    Ok(doc.save_to_bytes()?)
}

/// One label in the cell whose top-left corner is (`left`, `top`), in millimetres from the
/// page's bottom-left corner.
fn draw_label(
    layer: &PdfLayerReference,
    font: &IndirectFontRef,
    label: &Label,
    bot_username: &str,
    left: f32,
    top: f32,
) -> Result<(), SheetError> {
    let (pixels, side) = qr_pixels(&deep_link(bot_username, label.id))?;
    let image = ImageXObject {
        width: Px(side),
        height: Px(side),
        color_space: ColorSpace::Greyscale,
        bits_per_component: ColorBits::Bit1,
        interpolate: false,
        image_data: pixels,
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    };
    let bottom = top - CELL_H;
    let qr_bottom = bottom + (CELL_H - QR_MM) / 2.0;
    // At this many dots per inch the image's pixels span exactly QR_MM.
    let dpi = side as f32 * 25.4 / QR_MM;
    Image::from(image).add_to_layer(
        layer.clone(),
        ImageTransform {
            translate_x: Some(Mm(left + 1.0)),
            translate_y: Some(Mm(qr_bottom)),
            dpi: Some(dpi),
            ..Default::default()
        },
    );
    let text_x = Mm(left + QR_MM + 2.0);
    let mut y = top - 9.0;
    for line in wrap(&label.name, LINE_CHARS, NAME_LINES) {
        layer.use_text(line, 9.0, text_x, Mm(y), font);
        y -= 4.2;
    }
    layer.use_text(shared::text::shorten(&label.inventory_no, LINE_CHARS + 3), 10.0, text_x, Mm(bottom + 9.0), font);
    layer.use_text(format!("#{}", label.id), 7.0, text_x, Mm(bottom + 4.5), font);
    Ok(())
}

/// The link's QR code as a 1-bit grey image (a set bit is white, rows padded to whole bytes, a
/// four-module quiet zone around the code), and its side in pixels. One bit a module keeps a
/// thousand labels' images near 250 kB.
fn qr_pixels(link: &str) -> Result<(Vec<u8>, usize), qrcode::types::QrError> {
    const QUIET: usize = 4;
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let side = width + 2 * QUIET;
    let row_bytes = side.div_ceil(8);
    let mut bits = vec![0xFFu8; row_bytes * side];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            bits[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
        }
    }
    Ok((bits, side))
}

/// A name in at most `lines` lines of about `width` characters, broken between words where it
/// can; what does not fit ends in "…".
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        loop {
            let used = current.chars().count();
            let len = word.chars().count();
            if used == 0 && len > width {
                // A word longer than a line is cut.
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                out.push(head);
                continue;
            }
            if used > 0 && used + 1 + len > width {
                out.push(std::mem::take(&mut current));
                continue;
            }
            if used > 0 {
                current.push(' ');
            }
            current.push_str(&word);
            break;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        out.truncate(lines);
        let last = out.last_mut().expect("lines > 0");
        let mut kept: String = last.chars().take(width.saturating_sub(1)).collect();
        kept.push('…');
        *last = kept;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_between_words_and_end_in_an_ellipsis() {
        assert_eq!(wrap("Ingenico Move/5000 terminal", 17, 3), ["Ingenico", "Move/5000", "terminal"]);
        assert_eq!(wrap("Ноутбук Lenovo", 17, 3), ["Ноутбук Lenovo"]);
        assert_eq!(wrap("abcdefghij", 4, 2), ["abcd", "efg…"]);
        assert!(wrap("", 17, 3).is_empty());
    }

    #[test]
    fn a_sheet_has_a_page_per_24_labels() {
        let labels: Vec<Label> = (1..=25)
            .map(|id| Label { id, name: format!("Устройство {id}"), inventory_no: format!("INV-{id}") })
            .collect();
        let pdf = sheet(&labels, "teleops_bot").expect("rendered");
        let doc = printpdf::lopdf::Document::load_mem(&pdf).expect("a PDF");
        assert_eq!(doc.get_pages().len(), 2);
    }
}
