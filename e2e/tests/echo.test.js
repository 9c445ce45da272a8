require("../lib/suite").run("echo");
