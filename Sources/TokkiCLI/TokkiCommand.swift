import ArgumentParser

/// The `tokki` command-line tool.
@main
struct TokkiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokki",
        abstract: "Korean-first tokenizer toolkit: normalize, tokenize, train, build pre-training batches.",
        discussion: """
        Examples:
          tokki encode --text '대한민국은 민주공화국이다.'   # shipped vocabulary
          tokki normalize --input corpus.txt > corpus.norm.txt
          echo '수고ㄳ ① ＡＢＣ' | tokki normalize --explain
          tokki train --vocab-size 16000 --input corpus.txt --output ko

        Run 'tokki help COMMAND' for the options and examples of each command.

        Environment:
          TOKKI_VOCAB        the default vocabulary (else Vocab/)
          TOKKI_NUM_THREADS  worker threads when --threads is not given
          TOKKI_CACHE_DIR    where the built tables of large tokenizer.json,
                             .tiktoken and .model files are kept between runs
                             (default ~/.cache/tokki/model-cache)
          TOKKI_MODEL_CACHE  0 turns that cache off
          TOKKI_CACHE_MAX_MB the most MiB that cache keeps (default 2048;
                             the least recently used images go first)
        """,
        version: "0.1.0",
        subcommands: [Normalize.self, Encode.self, Decode.self, Inspect.self, Convert.self, Train.self, Extend.self, Stats.self,
                      BatchCommand.self, Prepare.self, Merge.self, Clean.self, Dedup.self, Scrub.self, TemplateCommand.self, Compare.self, Profile.self, Instruct.self, CharsmapDump.self]
    )
}
