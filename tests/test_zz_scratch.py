from tests.dialog import certificate

def test_explore(chat):
    lines = ["我想登记找工作", "1", "同意", "张三", certificate(), "对", "13812345678", "1", "3", "1 3", "1", "跳过", "不知道", "2", "李四", "确认", "我的信息", "2", "1"]
    for line in lines:
        print(">>", line)
        for r in chat.send("u1", line):
            print(r); print("--")
