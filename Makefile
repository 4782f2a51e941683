# MLH: the build's entry points. `make test` is what CI runs (through .ci/run).
MVN ?= mvn -B -ntp
FASHION_MNIST := /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz

# Spark 2.4 + BigDL 0.13 on JDK 17 need these opens (also in the root pom's surefire argLine).
JVM_OPENS := $(foreach p,java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util \
  java.util.concurrent java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar \
  jdk.internal.ref jdk.internal.misc,--add-opens=java.base/$(p)=ALL-UNNAMED)
# MKL's AVX2 kernels on AMD CPUs: 2.7x the GEMM speed on these machines (../shared/STACK.md)
export MKL_DEBUG_CPU_TYPE ?= 5

.PHONY: demo jars test data clean

## demo: MLH end to end in one JVM on Fashion-MNIST (split, train, encode, mAP@all at 64 bits);
## the Spark pipeline (shard -> train -> encode -> evaluate through spark-submit) takes its place once
## the shard and evaluate jobs land
demo: data
	$(MVN) -q -pl mlh-core compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
	java -Xmx8g $(JVM_OPENS) -cp mlh-core/target/classes:$$(cat mlh-core/target/classpath.txt) \
	  io.mlh.core.train.LocalDemo conf/fashion-mnist.conf $(ARGS)

## jars: the spark-submit jars and the SPARK_HOME of the project's Spark jars
jars:
	$(MVN) -q -DskipTests package

## test: all unit and real-data tests (installs Fashion-MNIST first if missing)
test: data
	$(MVN) verify

## data: the real datasets the tests use (Debian package, see ../shared/datasets/README.md)
data: $(FASHION_MNIST)

$(FASHION_MNIST):
	apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist

clean:
	$(MVN) -q clean
