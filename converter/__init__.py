"""Convert trained Keras digit models to validated TFLite files (float32/float16/dynamic/int8)."""
