package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.abstractnn.TensorModule;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;

/**
 * A weighted term of the training objective as a layer: the identity forward, and backward adds w
 * times the term's gradient with respect to the layer's input to the gradient from above. So a term
 * on an inner activation (gate weights, expert outputs) needs no extra graph output or criterion.
 *
 * <p>BigDL's serialiser reads a layer's constructor parameter by the name Scala reflection gives it,
 * {@code x$1} for a Java constructor, looking in the class and then its superclass: hence the
 * field's name here (see {@link TopKGate}).
 */
abstract class TrainingTerm extends TensorModule<Float> {
    private static final long serialVersionUID = 1L;

    /** The term's weight w (BigDL's serialiser's name for the subclasses' constructor parameter). */
    @SuppressWarnings("checkstyle:MemberName")
    private final double x$1;

    TrainingTerm(double weight, String what) {
        super(BigDL.FLOAT, BigDL.NUM);
        if (!(weight >= 0)) throw new IllegalArgumentException("the " + what + " weight must be >= 0, got " + weight);
        this.x$1 = weight;
    }

    /** Adds w times the term's gradient at {@code input} (row-major, of the input's shape) to {@code grad}. */
    abstract void addGradient(float[] input, int[] shape, double weight, float[] grad);

    @Override
    public final Tensor<Float> updateOutput(Tensor<Float> input) {
        output_$eq(input);
        return output();
    }

    @Override
    public final Tensor<Float> updateGradInput(Tensor<Float> input, Tensor<Float> gradOutput) {
        int[] shape = input.size();
        float[] grad = BigDL.toArray(gradOutput.contiguous());
        addGradient(BigDL.toArray(input.contiguous()), shape, x$1, grad);
        gradInput_$eq(BigDL.tensor(grad, shape));
        return gradInput();
    }

    /** The shape of its input: MKL-DNN graphs run the layer wrapped, and ask (BigDL's {@code BlasWrapper}). */
    @Override
    public com.intel.analytics.bigdl.utils.Shape computeOutputShape(com.intel.analytics.bigdl.utils.Shape inputShape) {
        return inputShape;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + x$1 + ")";
    }
}
