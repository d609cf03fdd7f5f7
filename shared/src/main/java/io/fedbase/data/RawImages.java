package io.fedbase.data;

import io.fedbase.space.InputSignature;
import java.util.List;

/** What a reader produces: 8-bit CHW pixels, labels, and class names if the format has them. */
record RawImages(InputSignature signature, byte[] pixels, int[] labels, List<String> classNames) {}
