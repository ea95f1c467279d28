// A training batch's input from its uint8 images, made by the engine's threads (each its own chunk,
// before its forward pass) as src/data/dataset.ts's placePattern makes it on the host: each channel of
// each pattern, rows×cols levels, centred in its height×width input map, the margin the background.
// The values come from a 256-entry table per channel that the host fills with placePattern's own
// float64 expression rounded to float32 (entry 0 is the background), so both give the same bits.

/**
 * input[b][ch] = channel ch of pattern b of `sources` (uint8 [channels][rows][cols] each) through the
 * channel's table (table + ch·1024 bytes), for patterns [b0, b1).
 */
export function place_patterns(b0: i32, b1: i32, sources: usize, table: usize, channels: i32, rows: i32, cols: i32, height: i32, width: i32, input: usize): void {
  const top = (height - rows) >> 1;
  const left = (width - cols) >> 1;
  const size = height * width;
  for (let b = b0; b < b1; b++) {
    for (let ch = 0; ch < channels; ch++) {
      const levels = table + (<usize>(ch * 256) << 2);
      const background = load<f32>(levels);
      const fill = f32x4.splat(background);
      const out = input + (<usize>((b * channels + ch) * size) << 2);
      let i = 0;
      for (; i + 4 <= size; i += 4) v128.store(out + (<usize>i << 2), fill);
      for (; i < size; i++) store<f32>(out + (<usize>i << 2), background);
      const src = sources + <usize>((b * channels + ch) * rows * cols);
      for (let r = 0; r < rows; r++) {
        const orow = out + (<usize>((top + r) * width + left) << 2);
        const irow = src + <usize>(r * cols);
        for (let c = 0; c < cols; c++) store<f32>(orow + (<usize>c << 2), load<f32>(levels + (<usize>load<u8>(irow + <usize>c) << 2)));
      }
    }
  }
}
