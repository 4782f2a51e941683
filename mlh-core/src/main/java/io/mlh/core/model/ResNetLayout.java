package io.mlh.core.model;

/** torchvision's ResNet family by depth: blocks per stage, and whether they are bottleneck blocks. */
public final class ResNetLayout {
    private ResNetLayout() {}

    /** The depths torchvision builds, shallowest first. */
    public static final int[] DEPTHS = {18, 34, 50, 101, 152};

    /** Blocks in each of the four stages ({@code layer1} .. {@code layer4}). */
    public static int[] stages(int depth) {
        switch (depth) {
            case 18:
                return new int[] {2, 2, 2, 2};
            case 34:
            case 50:
                return new int[] {3, 4, 6, 3};
            case 101:
                return new int[] {3, 4, 23, 3};
            case 152:
                return new int[] {3, 8, 36, 3};
            default:
                throw new IllegalArgumentException("no resnet-" + depth + ": torchvision's are 18, 34, 50, 101, 152");
        }
    }

    /** Whether resnet-{@code depth} is built of bottleneck blocks (1x1, 3x3, 1x1 with 4x wider outputs). */
    public static boolean bottleneck(int depth) {
        return depth >= 50;
    }
}
