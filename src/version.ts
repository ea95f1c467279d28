// The package's version, for what convnotes writes about itself (`convnotes --version`, the ONNX
// graph's producer). package.json is the source; test/surface/cli.test.ts holds this equal to it.
export const VERSION = '0.1.0';
