# MLH: the build's entry points. `make test` is what CI runs (through .ci/run).
MVN ?= mvn -B -ntp
FASHION_MNIST := /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz

# Spark 2.4 + BigDL 0.13 on JDK 17 need these opens (also in the root pom's surefire argLine).
JVM_OPENS := $(foreach p,java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util \
  java.util.concurrent java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar \
  jdk.internal.ref jdk.internal.misc,--add-opens=java.base/$(p)=ALL-UNNAMED)
# MKL's AVX2 kernels on AMD CPUs: 2.7x the GEMM speed there (../shared/STACK.md). Only on AMD: on Intel
# CPUs it forces AVX2 over AVX-512 (mklblas training 8% slower, `make bench-train`).
ifneq ($(shell grep -c -m1 AuthenticAMD /proc/cpuinfo 2>/dev/null),0)
export MKL_DEBUG_CPU_TYPE ?= 5
endif

.PHONY: demo demo-core serve notebooks report-page jars test data clean torch-deps check-weights weights-fixture bench-int8 bench-rerank bench-serve-codes bench-serve-images bench-speed bench-train bench-train-job bench-encode bench-input bench-catalogue bench-rank bench-search bench-serve bench-memory bench-verify bench-deps bench-classes bench-accuracy accuracy-summary

SPARK_JARS := spark-home/target/spark-home/jars
# Spark's own submit entry point from the build's SPARK_HOME: what `spark-submit` runs
SPARK_SUBMIT = java -Xmx8g $(JVM_OPENS) -Dlog4j.configuration=file:conf/log4j.properties \
  -cp '$(SPARK_JARS)/*' org.apache.spark.deploy.SparkSubmit \
  --master 'local[*]' --conf spark.ui.enabled=false
DEMO_OUT ?= out/fashion-mnist
DEMO_CONF = conf/fashion-mnist.conf jobs.overwrite=true jobs.encode.continuous-int8=true paths.shards=$(DEMO_OUT)/shards \
  paths.model=$(DEMO_OUT)/model paths.codes=$(DEMO_OUT)/codes paths.report=$(DEMO_OUT)/report \
  paths.neighbours=$(DEMO_OUT)/neighbours $(ARGS)

## demo: the Spark pipeline on local[*] over Fashion-MNIST, through the jobs' main classes as
## spark-submit runs them: shard -> train -> encode -> evaluate (mAP@all at 64 bits; then again with the first
## 100 Hamming candidates re-ranked by the int8 continuous codes, into report-refined) -> search (each
## query's 10 nearest database images, re-ranked so, the neighbours table, and 8 of them in its _gallery.html)
demo: data jars
	$(SPARK_SUBMIT) --class io.mlh.jobs.shard.ShardJob spark-jobs/target/mlh-train.jar $(DEMO_CONF)
	$(SPARK_SUBMIT) spark-jobs/target/mlh-train.jar $(DEMO_CONF)
	$(SPARK_SUBMIT) spark-jobs/target/mlh-encode.jar $(DEMO_CONF)
	$(SPARK_SUBMIT) --class io.mlh.jobs.evaluate.EvaluateJob spark-jobs/target/mlh-encode.jar $(DEMO_CONF) \
	  jobs.evaluate.precision-at=[10,100,1000]
	$(SPARK_SUBMIT) --class io.mlh.jobs.evaluate.EvaluateJob spark-jobs/target/mlh-encode.jar $(DEMO_CONF) \
	  jobs.evaluate.precision-at=[10,100,1000] jobs.rerank.mode=refine paths.report=$(DEMO_OUT)/report-refined
	$(SPARK_SUBMIT) --class io.mlh.jobs.search.SearchJob spark-jobs/target/mlh-encode.jar $(DEMO_CONF) \
	  jobs.search.gallery-queries=8 jobs.rerank.mode=refine

## serve: the query service on the demo's model and code table, re-ranking as the demo's search, at http://127.0.0.1:8080/ (after make demo)
serve: jars
	$(SPARK_SUBMIT) --class io.mlh.jobs.serve.SearchServer spark-jobs/target/mlh-encode.jar $(DEMO_CONF) \
	  jobs.serve.index=multi-index jobs.rerank.mode=refine

## notebooks: a Zeppelin server (zeppelin/target/zeppelin-home, REST API only) with the notes imported, their
## forms set to $(DEMO_OUT)'s tables (after make demo), at http://127.0.0.1:$(NOTEBOOKS_PORT)/api/ until Ctrl-C
NOTEBOOKS_PORT ?= 8090
notebooks: jars
	java -cp zeppelin/target/classes io.mlh.zeppelin.Notebooks zeppelin/target/zeppelin-home notebooks \
	  target/zeppelin $(NOTEBOOKS_PORT) codes=$(DEMO_OUT)/codes reports=$(DEMO_OUT)/report/metrics.json \
	  results=mlh-bench/results/accuracy.csv neighbours=$(DEMO_OUT)/neighbours

## report-page: docs/report-page.png, the demo's evaluate report as headless Chromium shows it (after make demo)
report-page:
	chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2400 \
	  --user-data-dir=$$(mktemp -d) --screenshot=$(abspath docs/report-page.png) \
	  file://$(abspath $(DEMO_OUT))/report/report.html

## demo-core: the same protocol in one JVM with mlh-core alone (no Spark): split, train, encode, mAP
demo-core: data
	$(MVN) -q -pl mlh-core compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
	java -Xmx8g $(JVM_OPENS) -cp mlh-core/target/classes:$$(cat mlh-core/target/classpath.txt) \
	  io.mlh.core.train.LocalDemo conf/fashion-mnist.conf $(ARGS)

## jars: the spark-submit jars and the SPARK_HOME of the project's Spark jars
jars:
	$(MVN) -q -DskipTests package

## test: all unit and real-data tests (installs Fashion-MNIST first if missing)
test: data
	$(MVN) verify

## data: the real datasets the tests use (Debian package, see ../shared/datasets/README.md), a
## font for the evaluate job's plots (headless AWT needs one) and Chromium, the browser the report's
## gallery test opens the page in
data: $(FASHION_MNIST)
	@fc-list 2>/dev/null | grep -q . || (apt-get update -qq && apt-get install -y -qq fontconfig fonts-dejavu-core)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)

$(FASHION_MNIST):
	apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist

## bench-speed: training, encoding and ranking speed against the PyTorch and faiss references, and
## driver memory against database size, all in one run on this machine (figures printed)
bench-speed: bench-train bench-train-job bench-encode bench-input bench-catalogue bench-rank bench-search bench-serve bench-memory bench-verify

BENCH_CP := mlh-bench/target/classpath.txt
BENCH_JAVA = java -Xmx8g $(JVM_OPENS) -Dlog4j.configuration=file:conf/log4j.properties \
  -cp mlh-bench/target/classes:$$(cat $(BENCH_CP))

## bench-deps: the benchmark classes and the references' Debian packages (PyTorch, faiss)
bench-deps: bench-classes
	@/usr/bin/python3 -c 'import torch, faiss' 2>/dev/null || (apt-get update -qq && apt-get install -y -qq python3-torch python3-faiss)

BENCH_OUT := mlh-bench/target/bench
BENCH_PY := /usr/bin/python3 mlh-bench/python/torch_mlh.py --seconds 20
# warm-up and measured DistriOptimizer iterations of batch 64 (the JIT needs ~20 iterations to settle)
TRAIN_ITERS ?= 20 80
CIFAR_ROOT := mlh-bench/target/data/cifar10
DERIVED_ROOT := mlh-bench/target/data/derived
# each engine runs with and without MKL_DEBUG_CPU_TYPE=5, in its own JVM
NO_MKL_DEBUG := env -u MKL_DEBUG_CPU_TYPE

## bench-train: the MLH training step in DistriOptimizer (local[2]) on mklblas and mkldnn, with and
## without MKL_DEBUG_CPU_TYPE=5, against the PyTorch reference's full step (2 threads); then ResNet-18 / -50
## at 224 px on mkldnn at the batch sizes of TRAIN_224 (backbone:batch), beside BigDL's own MKL-DNN ResNet-50
## classifier (forward + backward, its Perf tool: the engine's ceiling here) and PyTorch's step at batch 16
TRAIN_224 ?= resnet-18:16 resnet-18:32 resnet-50:16 resnet-50:32
TRAIN_224_ITERS ?= 3 12
bench-train: bench-deps
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/train.txt
	$(NO_MKL_DEBUG) $(BENCH_JAVA) io.mlh.bench.TrainSpeedBench mklblas $(TRAIN_ITERS) train.engine=mklblas | tee -a $(BENCH_OUT)/train.txt
	MKL_DEBUG_CPU_TYPE=5 $(BENCH_JAVA) io.mlh.bench.TrainSpeedBench mklblas+MKL_DEBUG_CPU_TYPE=5 $(TRAIN_ITERS) train.engine=mklblas | tee -a $(BENCH_OUT)/train.txt
	$(NO_MKL_DEBUG) $(BENCH_JAVA) io.mlh.bench.TrainSpeedBench mkldnn $(TRAIN_ITERS) train.engine=mkldnn | tee -a $(BENCH_OUT)/train.txt
	MKL_DEBUG_CPU_TYPE=5 $(BENCH_JAVA) io.mlh.bench.TrainSpeedBench mkldnn+MKL_DEBUG_CPU_TYPE=5 $(TRAIN_ITERS) train.engine=mkldnn | tee -a $(BENCH_OUT)/train.txt
	$(BENCH_PY) --what train | tee -a $(BENCH_OUT)/train.txt
	$(foreach r,$(TRAIN_224),$(BENCH_JAVA) io.mlh.bench.TrainSpeedBench mkldnn-batch-$(word 2,$(subst :, ,$(r))) $(TRAIN_224_ITERS) \
	  train.engine=mkldnn model.backbone=$(word 1,$(subst :, ,$(r))) model.input-size=224 train.batch-size=$(word 2,$(subst :, ,$(r))) \
	  | tee -a $(BENCH_OUT)/train.txt;)
	$(BENCH_JAVA) -Dlog4j.configuration=bigdl-perf-log4j.properties -Dbigdl.engineType=mkldnn -Dbigdl.localMode=true \
	  -Dbigdl.coreNumber=2 com.intel.analytics.bigdl.nn.mkldnn.Perf \
	  -m resnet50 -b 16 -t true -i 14 2>&1 | awk '/throughput is/ { if (++n > 4) { s += $$(NF-1); k++ } } \
	  END { printf "train-resnet-50 bigdl-own-resnet50-classifier %.1f\n", s / k }' | tee -a $(BENCH_OUT)/train.txt
	$(foreach b,resnet-18 resnet-50,$(BENCH_PY) --what train --backbone $(b) --batch 16 | tee -a $(BENCH_OUT)/train.txt;)
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section train $(BENCH_OUT)/train.txt

## bench-train-job: the train job's own epoch throughput (its log's figure: probe, validation and
## checkpoint included) on the demo's data and network against the training step's, same JVM, on each engine;
## writes its section of docs/results/speed.md
bench-train-job: bench-classes data
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/train-job.txt
	$(foreach e,mklblas mkldnn,$(BENCH_JAVA) io.mlh.bench.TrainJobSpeedBench $(BENCH_OUT)/train-job-$(e) conf/fashion-mnist.conf \
	  train.engine=$(e) | tee -a $(BENCH_OUT)/train-job.txt;)
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section train-job $(BENCH_OUT)/train-job.txt

## bench-encode: the encode job end to end (CIFAR-10 JPEG shards -> code table, local[2]) on mklblas,
## mkldnn and mkldnn in int8 against the PyTorch reference's inference (2 threads, batch 64, fp32 and its own
## int8); then ResNet-50 at 224 px on mkldnn, fp32 and int8, from the derived list files' JPEGs (batch 16)
## against PyTorch's torchvision inference (batch 16), with each int8 figure's ratio to its fp32 one
ENCODE_224 = $(DERIVED_ROOT)/imagenet $(BENCH_OUT)/encode-224-work train.engine=mkldnn classes=10 data.source=list \
  model.backbone=resnet-50 model.input-size=224 data.centre-crop=0.875 jobs.encode.batch-size=16
bench-encode: bench-deps $(CIFAR_ROOT) $(DERIVED_ROOT)
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/encode.txt
	$(BENCH_JAVA) io.mlh.bench.EncodeSpeedBench mklblas $(CIFAR_ROOT) $(BENCH_OUT)/encode-work train.engine=mklblas | tee -a $(BENCH_OUT)/encode.txt
	$(BENCH_JAVA) io.mlh.bench.EncodeSpeedBench mkldnn $(CIFAR_ROOT) $(BENCH_OUT)/encode-work train.engine=mkldnn | tee -a $(BENCH_OUT)/encode.txt
	$(BENCH_JAVA) io.mlh.bench.EncodeSpeedBench mkldnn-int8 $(CIFAR_ROOT) $(BENCH_OUT)/encode-work train.engine=mkldnn \
	  jobs.encode.precision=int8 | tee -a $(BENCH_OUT)/encode.txt
	$(BENCH_PY) --what encode --int8 | tee -a $(BENCH_OUT)/encode.txt
	$(BENCH_JAVA) io.mlh.bench.EncodeSpeedBench mkldnn $(ENCODE_224) | tee -a $(BENCH_OUT)/encode.txt
	$(BENCH_JAVA) io.mlh.bench.EncodeSpeedBench mkldnn-int8 $(ENCODE_224) jobs.encode.precision=int8 | tee -a $(BENCH_OUT)/encode.txt
	$(BENCH_PY) --what encode --int8 --backbone resnet-50 --encode-batch 16 | tee -a $(BENCH_OUT)/encode.txt
	@awk '$$2 == "mkldnn" { f[$$1] = $$3 } $$2 == "mkldnn-int8" { i[$$1] = $$3 } \
	  END { for (g in i) printf "- %s: mkldnn-int8 / mkldnn = %.2fx\n", g, i[g] / f[g] }' $(BENCH_OUT)/encode.txt \
	  | sort | tee -a $(BENCH_OUT)/encode.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section encode $(BENCH_OUT)/encode.txt

## the derived 224-px list-file sets (CIFAR-10 JPEGs enlarged to 160-500 px, io.mlh.jobs.testdata.DerivedListSet
## in spark-jobs' test jar):
## 200 database images a class, 10 queries a class
$(DERIVED_ROOT): | $(CIFAR_ROOT) bench-classes
	$(BENCH_JAVA) io.mlh.jobs.testdata.DerivedListSet $(CIFAR_ROOT) $@ queries=10 database=200 train=100

## bench-input: the 224-px input side on the derived list files: the shard job's images/s (local[2]) and
## what one core decodes, crops, resizes and flips into training samples, against the training step's
## per-core consumption (ResNet-50, mkldnn, batch 16, from the last bench-train run if there is one)
bench-input: bench-classes $(DERIVED_ROOT)
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/input.txt
	$(BENCH_JAVA) io.mlh.bench.InputSpeedBench $(DERIVED_ROOT)/imagenet $(BENCH_OUT)/input-work \
	  $$(awk '$$1 == "train-resnet-50" && $$2 == "mkldnn-batch-16" { print "trainer=" $$3 }' $(BENCH_OUT)/train.txt 2>/dev/null) \
	  | tee -a $(BENCH_OUT)/input.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section input $(BENCH_OUT)/input.txt

$(CIFAR_ROOT):
	mkdir -p $(dir $@) && tar xzf ../shared/datasets/cifar10-jpg.tar.gz -C $(dir $@)

## bench-catalogue: the shard job's driver heap for ImageNet-size list files (CATALOGUE_LINES lines, 100 classes)
CATALOGUE_LINES ?= 1000000
bench-catalogue: bench-classes
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/catalogue.txt
	$(BENCH_JAVA) -Xmx4g io.mlh.bench.CatalogueMemoryBench $(BENCH_OUT)/catalogue-work $(CATALOGUE_LINES) \
	  | tee -a $(BENCH_OUT)/catalogue.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section catalogue $(BENCH_OUT)/catalogue.txt

## bench-rank: exact Hamming top-1000 of io.mlh.core.search.HammingRanker against faiss IndexBinaryFlat
## on the same random codes (1e5..1e7 codes at 64 bits, 16..256 bits at 1e6; 1 and 2 threads)
bench-rank: bench-deps
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/rank.txt
	$(BENCH_JAVA) -Xmx3g io.mlh.bench.RankSpeedBench | tee -a $(BENCH_OUT)/rank.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section rank $(BENCH_OUT)/rank.txt

## bench-search: the search job end to end (top 10 of 64-bit codes, 1e6 and 1e7 database codes, 2,500 and
## 10,000 queries) against faiss IndexBinaryFlat on the same codes; the driver in its own JVM, its
## executor another (a standalone master and worker of the build's SPARK_HOME), so its heap is the driver's alone
bench-search: bench-deps jars
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/search.txt
	SPARK_LOCAL_IP=127.0.0.1 $(BENCH_JAVA) -Dbench.spark-home=$(abspath spark-home/target/spark-home) -Dspark.executor.memory=5g \
	  -Dspark.executor.cores=2 -Dspark.cores.max=2 \
	  -Dspark.executor.extraClassPath=$(abspath mlh-bench/target/classes):$$(cat $(BENCH_CP)) \
	  -Dspark.executor.extraJavaOptions='$(JVM_OPENS)' $(SEARCH_ARGS) io.mlh.bench.SearchSpeedBench | tee -a $(BENCH_OUT)/search.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section search $(BENCH_OUT)/search.txt

## bench-serve: the query service under a bounded load on 127.0.0.1: code queries (1, 4, 16 clients; flat and
## multi-index, each also re-ranked) against faiss IndexBinaryFlat and IndexBinaryMultiHash answering the same queries; then image
## queries (1, 2, 4 clients): vgg-small at 32 px on CIFAR-10 JPEGs, ResNet-50 at 224 px on the derived list files
## in fp32 and in int8
bench-serve: bench-serve-codes bench-serve-images

## bench-serve-codes: bench-serve's code queries alone (each index also re-ranked, R = 100)
bench-serve-codes: bench-deps jars
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/serve.txt
	SPARK_LOCAL_IP=127.0.0.1 $(BENCH_JAVA) $(SERVE_ARGS) io.mlh.bench.ServeSpeedBench | tee -a $(BENCH_OUT)/serve.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section serve $(BENCH_OUT)/serve.txt

## bench-serve-images: bench-serve's image queries alone
bench-serve-images: bench-deps jars $(CIFAR_ROOT) $(DERIVED_ROOT)
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/serve-images.txt
	SPARK_LOCAL_IP=127.0.0.1 $(BENCH_JAVA) -Dbench.clients=1,2,4 io.mlh.bench.ImageQuerySpeedBench vgg-small \
	  $(CIFAR_ROOT) $(BENCH_OUT)/serve-images-work train.engine=mkldnn | tee -a $(BENCH_OUT)/serve-images.txt
	SPARK_LOCAL_IP=127.0.0.1 $(BENCH_JAVA) -Dbench.clients=1,2,4 -Dbench.header=false io.mlh.bench.ImageQuerySpeedBench \
	  vgg-small $(CIFAR_ROOT) $(BENCH_OUT)/serve-images-work train.engine=mklblas | tee -a $(BENCH_OUT)/serve-images.txt
	SPARK_LOCAL_IP=127.0.0.1 $(BENCH_JAVA) -Dbench.clients=1,2,4 -Dbench.header=false -Dbench.requests=300 \
	  -Dbench.seconds=60 io.mlh.bench.ImageQuerySpeedBench resnet-50 $(DERIVED_ROOT)/imagenet \
	  $(BENCH_OUT)/serve-images-224-work train.engine=mkldnn classes=10 data.source=list model.backbone=resnet-50 \
	  model.input-size=224 data.centre-crop=0.875 jobs.encode.batch-size=16 | tee -a $(BENCH_OUT)/serve-images.txt
	SPARK_LOCAL_IP=127.0.0.1 $(BENCH_JAVA) -Dbench.clients=1,2,4 -Dbench.header=false -Dbench.requests=300 \
	  -Dbench.seconds=60 io.mlh.bench.ImageQuerySpeedBench resnet-50 $(DERIVED_ROOT)/imagenet \
	  $(BENCH_OUT)/serve-images-224-work train.engine=mkldnn classes=10 data.source=list model.backbone=resnet-50 \
	  model.input-size=224 data.centre-crop=0.875 jobs.encode.batch-size=16 jobs.encode.precision=int8 \
	  jobs.serve.precision=int8 | tee -a $(BENCH_OUT)/serve-images.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section serve-images $(BENCH_OUT)/serve-images.txt

## bench-int8: int8 codes against fp32 codes of trained networks, through the jobs (calibrate, encode both ways,
## evaluate): the demo's model on Fashion-MNIST (after make demo), and ResNet-18 trained for INT8_EPOCHS epochs on
## the derived 224-px list files; writes docs/results/int8.md
INT8_EPOCHS ?= 10
INT8_224 := $(BENCH_OUT)/int8-224
bench-int8: bench-classes $(DERIVED_ROOT)
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/int8.txt
	$(BENCH_JAVA) io.mlh.bench.Int8CodesBench "vgg-small, Fashion-MNIST (make demo)" $(BENCH_OUT)/int8-demo \
	  $(DEMO_CONF) | tee -a $(BENCH_OUT)/int8.txt
	$(BENCH_JAVA) -Dbench.header=false io.mlh.bench.Int8CodesBench "resnet-18 at 224 px, $(INT8_EPOCHS) epochs, derived list files" \
	  $(INT8_224) - classes=10 data.source=list data.root=$(DERIVED_ROOT)/imagenet model.backbone=resnet-18 \
	  model.input-size=224 data.centre-crop=0.875 data.augment.flip=true train.engine=mkldnn train.epochs=$(INT8_EPOCHS) \
	  train.batch-size=32 jobs.encode.batch-size=16 paths.shards=$(INT8_224)/shards paths.model=$(INT8_224)/model-$(INT8_EPOCHS)-epochs \
	  | tee -a $(BENCH_OUT)/int8.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/int8.md --section int8 $(BENCH_OUT)/int8.txt

## bench-rerank: retrieval quality of each order (Hamming alone; its first 100 / 1,000 re-ranked by the int8
## continuous codes' cosine), through the encode and evaluate jobs: the demo's model on Fashion-MNIST (after
## make demo), then mlh and csq at 64 bits on cifar10-2 (each trained once, 10 epochs, ~30 min; kept in
## $(RERANK_CIFAR)); writes docs/results/rerank.md
RERANK_CIFAR := $(BENCH_OUT)/rerank-cifar10-2
RERANK_CIFAR_CONF = conf/cifar10-2.conf data.root=$(abspath $(CIFAR_ROOT)) train.engine=mkldnn data.shards=8 bits=64 \
  seed=1 paths.shards=$(RERANK_CIFAR)/shards
bench-rerank: bench-classes $(CIFAR_ROOT)
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/rerank.txt
	$(BENCH_JAVA) io.mlh.bench.RerankQualityBench "mlh, Fashion-MNIST (make demo)" $(BENCH_OUT)/rerank-demo \
	  $(DEMO_CONF) | tee -a $(BENCH_OUT)/rerank.txt
	for method in mlh csq; do mkdir -p $(RERANK_CIFAR)/$$method && \
	  $(BENCH_JAVA) -Dbench.header=false io.mlh.bench.RerankQualityBench "$$method, cifar10-2" $(RERANK_CIFAR)/$$method \
	    $(RERANK_CIFAR_CONF) method=$$method paths.model=$(RERANK_CIFAR)/$$method/model > $(RERANK_CIFAR)/$$method/rows.txt \
	  && cat $(RERANK_CIFAR)/$$method/rows.txt | tee -a $(BENCH_OUT)/rerank.txt || exit 1; done
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/rerank.md --section rerank $(BENCH_OUT)/rerank.txt

## bench-verify: what an output's manifest costs per GB (hashing at the commit, checking on read) against sha256sum
bench-verify: bench-classes
	@mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/verify.txt
	$(BENCH_JAVA) io.mlh.bench.ManifestSpeedBench $(BENCH_OUT)/verify-work | tee -a $(BENCH_OUT)/verify.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section verify $(BENCH_OUT)/verify.txt

## bench-classes: the benchmark classes and their class path (Spark included)
bench-classes:
	$(MVN) -q -DskipTests -pl mlh-bench -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt

## bench-memory: the evaluate job's peak heap against database size (64-bit codes, 1,000 queries, mAP@all),
## each size evaluated in its own JVM at -Xmx$(MEMORY_HEAP) on local[2]; the single-pass evaluate classes of
## commit $(MEMORY_BASELINE) run beside them for the old-vs-new difference (MEMORY_BASELINE= skips that)
MEMORY_SIZES ?= 20000,100000,1000000,4000000
MEMORY_HEAP ?= 768m
MEMORY_BASELINE ?= 4d0d8f2
MEMORY_OLD := mlh-bench/target/evaluate-baseline
bench-memory: bench-classes
	rm -rf $(MEMORY_OLD) && mkdir -p $(MEMORY_OLD)/src $(MEMORY_OLD)/classes
	if [ -n "$(MEMORY_BASELINE)" ] && git archive $(MEMORY_BASELINE) spark-jobs/src/main/java/io/mlh/jobs/evaluate \
	    | tar -x -C $(MEMORY_OLD)/src; then \
	  javac --release 8 -nowarn -d $(MEMORY_OLD)/classes -cp "$$(cat $(BENCH_CP))" $$(find $(MEMORY_OLD)/src -name '*.java'); \
	else echo "bench-memory: no baseline (commit $(MEMORY_BASELINE) not in this checkout)"; fi
	mkdir -p $(BENCH_OUT) && $(BENCH_JAVA) io.mlh.bench.RunHeader > $(BENCH_OUT)/memory.txt
	$(BENCH_JAVA) -Dbench.sizes=$(MEMORY_SIZES) -Dbench.heap=$(MEMORY_HEAP) \
	  $$(test -d $(MEMORY_OLD)/classes/io && echo -Dbench.baseline=$(MEMORY_OLD)/classes) io.mlh.bench.DriverMemoryBench \
	  | tee -a $(BENCH_OUT)/memory.txt
	@$(BENCH_JAVA) io.mlh.bench.SpeedTable --page docs/results/speed.md --section memory $(BENCH_OUT)/memory.txt

## bench-accuracy: MLH against csq / mds / dpsh / dual and its ablations (moh, mutual mode, K) at 16/32/64 bits
## on Fashion-MNIST, CIFAR-10 (cifar10-1; cifar10-2 for mlh / csq / mds at 64 bits) and the derived mosaic set, each cell the real train -> encode -> evaluate jobs
## (local[2], MKL-DNN) in its own JVM. Resumable: rows are appended to ACCURACY_RESULTS as cells finish and
## finished cells are skipped; no new cell starts after ACCURACY_BUDGET minutes (0 = run them all, ~16 h)
ACCURACY_RESULTS ?= mlh-bench/results/accuracy.csv
ACCURACY_SETS ?= fashion-mnist,cifar10,cifar10-2,mosaic
ACCURACY_BUDGET ?= 0
## ACCURACY_CELLS: a regular expression over dataset,variant,bits,seed to run only those cells, probes included
## (e.g. 'cifar10,(mds|mlh:centre=csq),64,1'); empty = the whole grid
ACCURACY_CELLS ?=
bench-accuracy: data bench-classes $(CIFAR_ROOT)
	$(BENCH_JAVA) -Xmx1g -Daccuracy.results=$(ACCURACY_RESULTS) -Daccuracy.sets=$(ACCURACY_SETS) -Daccuracy.cells='$(ACCURACY_CELLS)' \
	  -Daccuracy.budget-minutes=$(ACCURACY_BUDGET) -Daccuracy.cifar=$(CIFAR_ROOT) io.mlh.bench.accuracy.AccuracyBench

## accuracy-summary: docs/results/accuracy.md (the summary tables and goal lines of ACCURACY_RESULTS), without running anything
accuracy-summary: bench-classes
	@$(BENCH_JAVA) -Xmx1g io.mlh.bench.accuracy.AccuracySummary $(ACCURACY_RESULTS) docs/results/accuracy.md
	@echo "wrote docs/results/accuracy.md from $(ACCURACY_RESULTS)"

clean:
	$(MVN) -q clean

## torch-deps: PyTorch and torchvision (Debian's python3-torchvision), the reference of the checkpoint loading
torch-deps:
	@/usr/bin/python3 -c 'import torchvision' 2>/dev/null || (apt-get update -qq && apt-get install -y -qq python3-torchvision)

## check-weights: WEIGHTS (a torchvision ResNet checkpoint of ARCH, any Hadoop path) through the project's loader
## and backbone on mklblas and mkldnn against torchvision's forward pass of the same 10 real images: the largest
## absolute and relative differences of the pooled features; fails above 1e-4 relative. Without WEIGHTS, a
## checkpoint torchvision itself writes (fresh weights, batch-norm statistics spread, wrapped as by training scripts)
ARCH ?= resnet-50
WEIGHTS ?=
check-weights: bench-classes torch-deps $(CIFAR_ROOT)
	$(BENCH_JAVA) io.mlh.bench.CheckWeights $(ARCH) '$(WEIGHTS)' $(CIFAR_ROOT) $(BENCH_OUT)/check-weights-$(ARCH)

## weights-fixture: mlh-core's committed checkpoint fixtures, made again with PyTorch: small files torch itself
## writes (src/test/resources/pretrained/torch) and torchvision's features of the tests' random resnet-18 and
## resnet-50 checkpoints (src/test/resources/pretrained)
weights-fixture: torch-deps
	$(MVN) -q -pl mlh-core test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
	/usr/bin/python3 mlh-core/src/test/python/torch_fixtures.py mlh-core/src/test/resources/pretrained/torch
	java -Xmx6g $(JVM_OPENS) -cp mlh-core/target/test-classes:mlh-core/target/classes:$$(cat mlh-core/target/test-classpath.txt) \
	  io.mlh.core.model.pretrained.ResNetFixture mlh-core/target/weights-fixture mlh-core/src/test/resources \
	  mlh-bench/python/torchvision_resnet.py
