package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.DistributedDataSet;
import com.intel.analytics.bigdl.optim.Optimizer;
import java.util.regex.Pattern;
import org.apache.spark.SparkEnv;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockInfo;
import org.apache.spark.storage.BlockInfoManager;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.TestBlockId;
import scala.Option;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

/**
 * The weights and gradients DistriOptimizer exchanges through the executors' block managers (its
 * {@code AllReduceParameter}: each executor holds its slice of the weights and gradients as float tensors
 * and fp16 copies of them as bytes).
 *
 * <p>BigDL makes a new set of these blocks, under fresh ids, at every {@code optimize()} call and never
 * removes them, and its read locks on them are never released, so Spark cannot evict them either. The
 * train job makes a call an epoch: each epoch left the model's weights and gradients, as floats and as
 * fp16, in every executor's storage memory (12 bytes a parameter in local mode). {@link #release}
 * removes them between calls, when no task reads them. It removes every such block, not only the last
 * call's: BigDL's engine is one per JVM, so an application trains one model at a time.
 */
final class ParameterBlocks {
    private ParameterBlocks() {}

    /** The task id Spark holds locks in for code that runs outside a task. */
    private static final Object NO_TASK = BlockInfo.NON_TASK_WRITER();

    /** BigDL's names: "{id}weights{part}", "{id}gradients{part}", "{id}weightBytes{part}", "{id}_{to}gradientBytes{from}". */
    private static final Pattern NAME = Pattern.compile("\\d+(weights|gradients|weightBytes|_\\d+gradientBytes)\\d+");

    /**
     * Removes the parameter blocks from every executor that holds part of the optimiser's training set
     * (BigDL keeps one partition of it cached on each executor and runs each call's tasks there), after
     * a call has returned.
     */
    static void release(Optimizer<Float, ?> optimizer) {
        if (!(optimizer.dataset() instanceof DistributedDataSet)) return;
        ((DistributedDataSet<?>) optimizer.dataset()).originRDD().toJavaRDD().foreachPartition(cached -> removeHere());
    }

    /** How many parameter blocks this JVM's block manager holds (the driver's: all of them in local mode). */
    static int heldHere() {
        return JavaConverters.seqAsJavaListConverter(matching(SparkEnv.get().blockManager()))
                .asJava()
                .size();
    }

    private static void removeHere() {
        BlockManager blocks = SparkEnv.get().blockManager();
        BlockInfoManager locks = blocks.blockInfoManager();
        for (BlockId id :
                JavaConverters.seqAsJavaListConverter(matching(blocks)).asJava()) {
            synchronized (locks) { // Spark's own lock on its lock table: nothing can lock the block in between
                Option<BlockInfo> found = locks.get(id);
                if (found.isEmpty()) continue;
                BlockInfo info = found.get();
                // BigDL reads these blocks from its own threads, outside any task, and never lets go
                // of the read locks (it takes one value off the block's iterator and leaves the rest):
                // those locks are held in Spark's name for "no task", and nothing else holds one between calls
                for (int stale = info.readerCount(); stale > 0; stale--) locks.unlock(id, Option.apply(NO_TASK));
                if (info.readerCount() > 0 || info.writerTask() != BlockInfo.NO_WRITER()) {
                    throw new IllegalStateException("block " + id + " is still locked between training calls");
                }
                blocks.removeBlock(id, false); // BigDL stores them without telling the driver
            }
        }
    }

    private static scala.collection.Seq<BlockId> matching(BlockManager blocks) {
        return blocks.getMatchingBlockIds(new AbstractFunction1<BlockId, Object>() {
            @Override
            public Object apply(BlockId id) {
                return id instanceof TestBlockId
                        && NAME.matcher(((TestBlockId) id).id()).matches();
            }
        });
    }
}
