// Placeholder: the primitive kernels (the Kernels interface, in float32) go here.
export function axpy(n: i32, a: f32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) + a * load<f32>(x + (<usize>i << 2)));
}
