package io.mlh.jobs.analysis;

import static io.mlh.jobs.analysis.AnalysisPipeline.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.utils.Crc32$;
import com.intel.analytics.shaded.protobuf_v_3_5_1.CodedInputStream;
import com.intel.analytics.shaded.protobuf_v_3_5_1.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The analysis pipeline's TensorBoard event files: every loss term and figure, once an epoch. */
@ExtendWith(AnalysisPipeline.Use.class)
class TensorBoardTest {
    // ------------------------------------------------------------------------------------------- TensorBoard

    @Test
    void tensorBoardHoldsEveryTermPerEpoch() throws IOException {
        Path board = dir.resolve("model-tensorboard");
        Map<String, TreeMap<Long, Float>> train = scalars(board.resolve("train")),
                validation = scalars(board.resolve("validation"));
        assertEquals(
                new HashSet<>(
                        Arrays.asList("loss/L", "loss/L_C", "loss/L_P", "loss/L_M", "LearningRate", "Throughput")),
                train.keySet());
        for (Map.Entry<String, TreeMap<Long, Float>> e : train.entrySet()) {
            assertEquals(Arrays.asList(1L, 2L), new ArrayList<>(e.getValue().keySet()), e.getKey() + " steps");
        }
        assertEquals((float) trained.lastTerms.total, train.get("loss/L").get((long) EPOCHS), 0f);
        assertEquals((float) trained.lastTerms.mutual, train.get("loss/L_M").get((long) EPOCHS), 0f);
        assertEquals(1e-3f, train.get("LearningRate").get(1L), 1e-9f);
        assertTrue(train.get("Throughput").get(2L) > 0);
        // MLH retrieves with the centre branch; the pairwise branch's mAP is logged beside it
        assertEquals(new HashSet<>(Arrays.asList("mAP", "mAP/pairwise")), validation.keySet());
        for (String tag : validation.keySet()) {
            assertEquals(
                    Arrays.asList(1L, 2L), new ArrayList<>(validation.get(tag).keySet()), tag + " steps");
            for (float map : validation.get(tag).values()) assertTrue(map > 0.1f && map <= 1f, tag + " " + map);
        }
    }

    /** Scalars by tag and step from every event file in a directory, each record's CRCs checked. */
    private static Map<String, TreeMap<Long, Float>> scalars(Path folder) throws IOException {
        Map<String, TreeMap<Long, Float>> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("bigdl.tfevents."))
                    .collect(Collectors.toList());
        }
        assertEquals(1, files.size(), "one event file per run in " + folder);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(files.get(0))).order(ByteOrder.LITTLE_ENDIAN);
        int events = 0;
        while (b.hasRemaining()) {
            byte[] length = new byte[8];
            b.get(length);
            assertEquals((int) Crc32$.MODULE$.maskedCRC32(length), b.getInt(), "length CRC");
            byte[] data = new byte
                    [(int) ByteBuffer.wrap(length)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .getLong()];
            b.get(data);
            assertEquals((int) Crc32$.MODULE$.maskedCRC32(data), b.getInt(), "data CRC");
            events++;
            // tensorflow/core/util/event.proto: wall_time = 1, step = 2, file_version = 3, summary = 5
            CodedInputStream event = CodedInputStream.newInstance(data);
            long step = -1;
            double wallTime = 0;
            List<Object[]> values = new ArrayList<>();
            for (int tag; (tag = event.readTag()) != 0; ) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1:
                        wallTime = event.readDouble();
                        break;
                    case 2:
                        step = event.readInt64();
                        break;
                    case 3:
                        assertEquals("brain.Event:2", event.readString());
                        break;
                    case 5:
                        values.addAll(summaryValues(event.readByteArray()));
                        break;
                    default:
                        event.skipField(tag);
                }
            }
            assertTrue(wallTime > 1.5e9, "wall time " + wallTime);
            for (Object[] v : values)
                out.computeIfAbsent((String) v[0], k -> new TreeMap<>()).put(step, (Float) v[1]);
        }
        assertTrue(events > 1);
        return out;
    }

    /** tensorflow/core/framework/summary.proto: Summary.value = 1; Value.tag = 1, simple_value = 2. */
    private static List<Object[]> summaryValues(byte[] summary) throws IOException {
        List<Object[]> out = new ArrayList<>();
        CodedInputStream s = CodedInputStream.newInstance(summary);
        for (int tag; (tag = s.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) != 1) {
                s.skipField(tag);
                continue;
            }
            CodedInputStream v = CodedInputStream.newInstance(s.readByteArray());
            String name = null;
            Float value = null;
            for (int t; (t = v.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(t) == 1) name = v.readString();
                else if (WireFormat.getTagFieldNumber(t) == 2) value = v.readFloat();
                else v.skipField(t);
            }
            out.add(new Object[] {name, value});
        }
        return out;
    }
}
