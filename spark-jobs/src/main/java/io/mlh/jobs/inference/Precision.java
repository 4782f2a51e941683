package io.mlh.jobs.inference;

import io.mlh.core.config.ConfigChoice;

/** The arithmetic of the backbone where images are encoded ({@code jobs.encode.precision}, {@code jobs.serve.precision}). */
public enum Precision implements ConfigChoice {
    FP32,
    /** MKL-DNN's int8 convolutions, with a calibrated bundle's scales ({@code Int8Inference}). */
    INT8
}
