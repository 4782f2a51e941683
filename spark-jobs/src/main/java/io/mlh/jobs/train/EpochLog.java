package io.mlh.jobs.train;

import io.mlh.core.loss.LossTerms;
import java.io.Closeable;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.log4j.Logger;

/**
 * What the train job says after each epoch: one log line (loss terms on the probe, the MoH's balance and
 * diversity terms among them where the model has them, learning rate,
 * throughput, validation mAP, ETA) and, when {@code jobs.train.tensorboard} is on, the same figures
 * as TensorBoard scalars with step = epoch ({@link TensorBoardLog}).
 */
final class EpochLog implements Closeable {
    private static final Logger LOG = Logger.getLogger(TrainJob.class); // the job's own progress lines

    private final int firstEpoch, epochs;
    private final TensorBoardLog board;
    private final long started = System.nanoTime();

    /** For epochs {@code firstEpoch..epochs}; {@code tensorboardDir} null for no event files. */
    EpochLog(Configuration hadoop, int firstEpoch, int epochs, String tensorboardDir) throws IOException {
        this.firstEpoch = firstEpoch;
        this.epochs = epochs;
        this.board = tensorboardDir == null ? null : new TensorBoardLog(hadoop, tensorboardDir);
        if (board != null) LOG.info("TensorBoard event files under " + tensorboardDir);
    }

    /**
     * {@code rate}: img/s of the whole epoch (probe, validation and checkpoint included);
     * {@code training}: of its optimiser call alone.
     */
    void epoch(int epoch, EpochReport.Outcome outcome, double lr, double rate, double training) throws IOException {
        LossTerms terms = outcome.terms;
        EpochReport.BranchMaps maps = outcome.maps;
        double eta = (System.nanoTime() - started) / 1e9 / (epoch - firstEpoch + 1) * (epochs - epoch);
        LOG.info(String.format(
                "epoch %d/%d: %s, lr %.3g, %.1f img/s (training alone %.1f), %sETA %.0f s",
                epoch, epochs, terms.values(), lr, rate, training, validationText(maps), eta));
        if (board == null) return;
        board.train("loss/L", terms.total, epoch);
        board.train("loss/L_C", terms.centre, epoch);
        board.train("loss/L_P", terms.pairwise, epoch);
        board.train("loss/L_M", terms.mutual, epoch);
        for (java.util.Map.Entry<String, Double> moh : terms.moh.entrySet())
            board.train("loss/" + moh.getKey(), moh.getValue(), epoch);
        board.train("LearningRate", lr, epoch);
        board.train("Throughput", rate, epoch);
        if (maps != null) {
            board.validation("mAP", maps.retrieval(), epoch);
            if (!Double.isNaN(maps.other())) board.validation("mAP/" + maps.otherBranch(), maps.other(), epoch);
        }
    }

    /** "validation mAP 0.41 (pairwise branch 0.38), ": the retrieval branch, then the other one if trained. */
    private static String validationText(EpochReport.BranchMaps maps) {
        if (maps == null) return "";
        String other =
                Double.isNaN(maps.other()) ? "" : String.format(" (%s branch %.4f)", maps.otherBranch(), maps.other());
        return String.format("validation mAP %.4f%s, ", maps.retrieval(), other);
    }

    @Override
    public void close() throws IOException {
        if (board != null) board.close();
    }
}
