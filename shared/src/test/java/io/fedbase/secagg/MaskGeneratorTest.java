package io.fedbase.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class MaskGeneratorTest {

  private static byte[] seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    s[0] = 42;
    return s;
  }

  @Test
  void theMaskIsTheAesCtrKeystreamAsLittleEndianInts() throws Exception {
    byte[] seed = seed(9);
    Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
    byte[] iv = new byte[16];
    System.arraycopy("fbsa-prg".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, iv, 0, 8);
    aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(iv));
    IntBuffer expected = ByteBuffer.wrap(aes.doFinal(new byte[4 * 100])).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    int[] mask = new int[100];
    new MaskGenerator(seed).add(IntBuffer.wrap(mask), 0);
    for (int i = 0; i < 100; i++) {
      assertEquals(expected.get(i), mask[i], "int " + i);
    }
  }

  @Test
  void addThenSubtractRestoresTheVectorAndTheMaskLooksNothingLikeIt() {
    int[] original = new SplittableRandom(1).ints(100_000, -1000, 1000).toArray();
    int[] v = original.clone();
    MaskGenerator g = new MaskGenerator(seed(1));
    g.add(IntBuffer.wrap(v), 0);
    long same = 0;
    for (int i = 0; i < v.length; i++) {
      same += v[i] == original[i] ? 1 : 0;
    }
    assertEquals(0, same, 1, "a masked value equals the original with probability 2^-32");
    g.apply(IntBuffer.wrap(v), 0, -1);
    assertArrayEquals(original, v);
    assertThrows(IllegalArgumentException.class, () -> g.apply(IntBuffer.wrap(v), 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new MaskGenerator(new byte[16]));
  }

  @Test
  void chunksAtAnyOffsetGiveTheSameMaskAsOnePass() {
    int n = 150_001; // crosses the 64 KiB keystream blocks
    int[] whole = new int[n];
    new MaskGenerator(seed(2)).add(IntBuffer.wrap(whole), 0);

    int[] pieces = new int[n];
    MaskGenerator g = new MaskGenerator(seed(2));
    int[] cuts = {0, 1, 3, 6, 7, 100, 16_383, 16_385, 70_001, 131_072, n};
    for (int c = 0; c + 1 < cuts.length; c++) {
      IntBuffer slice = IntBuffer.wrap(pieces, cuts[c], cuts[c + 1] - cuts[c]).slice();
      g.add(slice, cuts[c]);
    }
    assertArrayEquals(whole, pieces);

    // a direct little-endian buffer (how an upload chunk arrives) takes the same mask; position unmoved
    IntBuffer direct = ByteBuffer.allocateDirect(4 * 5000).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    direct.position(1000);
    new MaskGenerator(seed(2)).add(direct, 77_777);
    assertEquals(1000, direct.position());
    for (int i = 1000; i < 5000; i++) {
      assertEquals(whole[77_777 + i - 1000], direct.get(i));
    }
  }

  @Test
  void differentSeedsGiveUnrelatedMasks() {
    int[] a = new int[1000];
    int[] b = new int[1000];
    new MaskGenerator(seed(3)).add(IntBuffer.wrap(a), 0);
    new MaskGenerator(seed(4)).add(IntBuffer.wrap(b), 0);
    assertFalse(Arrays.equals(a, b));
    int[] again = new int[1000];
    new MaskGenerator(seed(3)).add(IntBuffer.wrap(again), 0);
    assertArrayEquals(a, again, "deterministic");
  }
}
