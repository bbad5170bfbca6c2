"""Dev phrasings for tuning the slop filters (issue 21), written for this project by the filters engineer.

Tune on these; bench/heldout/ (written by someone else, never read while tuning) is the measure. Families as
in bench/heldout: opener, closer, disclaimer (join: sentence or clause), refusal, identity_only."""

EN = {
    "opener": [
        "Sure.", "Sure thing, happy to help.", "Yes, of course!", "Okay, great question.", "Well, that's a good one!",
        "Oh, interesting question!", "Great, thanks for asking.", "Thank you for your question!",
        "Thanks so much for the question.", "Awesome question!", "Alright!", "Absolutely, happy to explain.",
        "Of course, I'd be glad to help you with that.", "Certainly, I can help with this.",
        "I'd love to help with this one!", "Glad you asked!", "No worries, I can explain.",
        "Here you go:", "Here you go!", "Here's my answer:", "Here is the information you requested.",
        "Here are the details:", "Here's the explanation you need.", "Here's a simple breakdown.",
        "Below is a short explanation:", "Below you will find the details.", "The following explains it:",
        "Let me explain how this works.", "Let me walk you through it.", "I'll walk you through this.",
        "I'll explain it step by step:", "Let me give you a quick rundown.", "Let's take a closer look.",
        "Sure! Here's a quick explanation:", "Great question! Let me explain.", "Okay! Here's the answer.",
        "Hmm, good question. Here is what I know.", "Ah, I see! Let me break it down for you.",
        "Sure thing! Below is a summary.", "Of course. Here's the short version:",
        "Absolutely! I'll walk you through it.", "Yes! Here's what you should know.",
        "Good question. The answer is below:", "Right, so here's how it works:",
        "Happy to help! Here's the rundown:", "Thanks for asking! Here is a brief explanation.",
    ],
    "closer": [
        "Hope that helps.", "I hope this answers your question!", "Hope this was useful!",
        "I hope this gives you a clearer picture.", "I hope the explanation above is helpful.",
        "Let me know if anything is unclear.", "Let me know if you want more examples!",
        "Feel free to ask if you need more help.", "Feel free to follow up with more questions!",
        "If you need anything else, just let me know.", "If you have more questions, I'm happy to help.",
        "Don't hesitate to reach out if you have other questions.", "Any other questions? Just ask!",
        "Is there anything else I can help with?", "Would you like me to explain anything further?",
        "Do you want me to go into more detail?", "I'm always here to help!", "Happy to help further if needed.",
        "Good luck!", "Best of luck!", "Have fun experimenting!", "Enjoy!", "Happy coding!",
        "Cheers, and good luck!", "Thanks for asking, and have a great day!",
        "I hope this helps! Let me know if you have any questions.", "Hope this helps. Good luck!",
        "Let me know if you need more. Happy learning!", "Hopefully that makes sense!",
        "I hope this information was useful. Feel free to ask more.",
        "I'd be happy to explain more if you'd like.", "Just ask if you'd like more details.",
    ],
    "disclaimer_sentence": [
        "As an AI language model, I don't have personal opinions.", "I'm an AI, so I don't have personal experience.",
        "As an AI, I can't be certain about this.", "Keep in mind I'm just an AI assistant.",
        "I am not a lawyer, and this is not legal advice.", "As an AI, I have no feelings about this topic.",
        "As a language model, I don't have personal preferences.",
        "Please note that I'm an AI and my knowledge may be out of date.",
    ],
    "disclaimer_clause": [
        "As an AI, I don't have personal views, but", "As an AI language model, I don't have opinions; however,",
        "I don't have personal experiences, but", "While I'm just an AI,", "As an AI assistant, I can't be sure, but",
        "I don't have personal preferences, but",
    ],
    "refusal": [
        "I'm sorry, but I can't do that.", "Sorry, I can't help you with this.",
        "I apologize, but I won't be able to provide that.", "I'm afraid that's not something I can help with.",
        "Unfortunately, I'm not able to answer this question.", "I can't assist with that request.",
        "I cannot provide assistance with this.", "That's not something I can do.",
        "I'm sorry, I'm not able to help with that request.", "Sorry, that's outside what I can help with.",
        "I'm unable to comply with this request.", "This request goes against my guidelines, so I can't help.",
        "I can't provide that because it violates my usage policies.",
        "I'm not able to give medical advice. Please consult a doctor.",
        "I'm not qualified to answer this; please talk to a professional.",
        "Sorry, I can't answer that. You may want to ask an expert.",
        "I apologize, but that request is not something I can fulfil.",
        "I'm sorry, but I must decline this request.",
    ],
    "identity_only": [
        "As an AI, I don't have personal opinions.", "I'm just a language model, so I don't have feelings.",
        "I am an AI assistant and don't have preferences.", "As an AI, I have no personal experiences to share.",
        "I'm an AI, I don't have a favourite.", "Being an AI, I don't have emotions.",
    ],
}

ZH = {
    "opener": [
        "好的。", "好的，没问题。", "当然！", "当然没问题！", "可以的！", "嗯，好问题！", "这个问题问得好！",
        "很好的问题！", "谢谢你的提问！", "感谢提问！", "很乐意为你解答！", "非常乐意帮忙！", "没问题，我来解释。",
        "好的，我来帮你。", "以下是答案：", "以下是详细说明。", "下面是我的回答：", "下面为您详细介绍。",
        "这是你要的答案：", "让我来解释一下。", "我来为你详细解释一下：", "让我一步步为你说明。",
        "好的！以下是具体内容：", "当然可以！下面是我的解答。", "好问题！让我来解释。", "没问题！以下是回答：",
        "嗯，这是个好问题。我来说明一下。", "好的，下面为你分析。", "我很高兴回答这个问题！",
        "当然，以下是相关信息：",
    ],
    "closer": [
        "希望对你有帮助。", "希望这些信息有用！", "希望我的回答能帮到你！", "希望以上内容对您有所启发。",
        "如果还有问题，欢迎继续提问。", "有其他问题可以随时问我！", "如需更多帮助，请告诉我。",
        "如果你需要更多例子，请告诉我！", "还需要我解释什么吗？", "需要我进一步说明吗？", "随时欢迎提问！",
        "祝你好运！", "祝你成功！", "祝您生活愉快！", "加油！", "希望对你有帮助，祝你学习进步！",
        "希望这能帮到你。如有疑问，欢迎随时提问。", "有问题随时找我哦！", "如果有任何疑问，可以随时联系我。",
        "我随时乐意为您提供帮助。",
    ],
    "disclaimer_sentence": [
        "作为一个AI语言模型，我没有个人观点。", "我只是一个AI，没有个人经验。", "作为人工智能，我无法确定这一点。",
        "请注意，我是AI，我的知识可能不是最新的。", "我不是医生，以下内容不构成医疗建议。",
    ],
    "disclaimer_clause": [
        "作为AI，我没有个人观点，但是", "作为一个人工智能助手，我没有个人偏好，不过", "虽然我只是一个AI，但",
        "我没有个人经历，但",
    ],
    "refusal": [
        "抱歉，我不能这样做。", "对不起，我无法帮你完成这个请求。", "很抱歉，我没有办法回答这个问题。",
        "不好意思，这超出了我的能力范围。", "抱歉，这个请求我无法满足。", "我无法协助完成此类请求。",
        "这个问题我不能回答。", "抱歉，该请求违反了我的使用政策，我不能提供帮助。",
        "很抱歉，我不能提供医疗建议，请咨询医生。", "对不起，这个问题我回答不了，建议咨询专业人士。",
        "抱歉，我必须拒绝这个请求。", "非常抱歉，我帮不了你。",
    ],
    "identity_only": [
        "作为AI，我没有个人观点。", "我只是一个语言模型，没有情感。", "我是人工智能助手，没有个人喜好。",
        "作为一个AI，我没有个人经历可以分享。",
    ],
}

# Second round (written after the first dev run, still without reading bench/heldout): more shapes per family.
EN["opener"] += [
    "Sure, I can do that.", "Yes, absolutely!", "Of course, here you go.", "Certainly! Let's get started.",
    "Great question, and a common one.", "That's a really good question.", "Oh, this is a fun one!",
    "Happy to explain!", "I'd be delighted to help.", "Thanks for the great question!", "Ah, the classic question!",
    "Good thinking!", "Let me help you with that.", "OK, let's figure this out together.",
    "No problem, here's the scoop:", "Here's everything you need to know:", "Here's the lowdown.",
    "Here's a clear explanation for you.", "So, here's the thing:", "To answer your question:", "In short:",
    "Great, let me clarify.", "Let me clarify this for you.", "Let's unpack this.", "Let's get into it!",
    "Allow me to explain.", "I'll break it down:", "I'll do my best to explain.",
    "I can definitely help you understand this.", "Sure! Below is the explanation you asked for.",
    "Okay, so let me explain it simply.", "Right! Let me walk you through the details.",
    "Of course! The short answer is below.", "Great question! Here's a breakdown:", "Glad to help! Let me explain.",
    "Hi there! Happy to help.", "Hello! Thanks for reaching out.",
]
EN["closer"] += [
    "I hope this clarifies things!", "Hope this helps you out!", "Hopefully this answers your question.",
    "I hope you find this helpful.", "Let me know how it goes!", "Let me know if you'd like more details.",
    "Feel free to reach out anytime!", "If anything is still unclear, just ask.", "Reach out if you need more help.",
    "Happy to clarify further!", "Want me to elaborate on any part?", "Shall I go into more detail?",
    "Would you like some examples?", "I'm glad I could help!", "Always happy to help!", "Thanks for asking!",
    "Good luck with your studies!", "Wishing you the best!", "Enjoy your coding!", "Have a great day!",
    "Take care and good luck!", "Happy reading!", "I'm here if you need anything else.",
    "Don't hesitate to ask more questions!", "That should cover it. Let me know if you need more!",
    "Hope that clears it up!", "I hope this was helpful. Have a nice day!",
]
EN["disclaimer_sentence"] += [
    "Note: I'm an AI and may make mistakes.", "Disclaimer: I am an AI, not a professional.",
    "Please keep in mind that I'm an AI.", "I'm an AI, so take this with a grain of salt.",
]
EN["disclaimer_clause"] += [
    "As an AI, I can't browse the web, but", "Being an AI, I don't have opinions, but",
    "As a language model, I can't verify this, but", "I'm not a medical professional, but",
    "I don't have real-time data, but",
]
EN["refusal"] += [
    "I'm sorry, but I can't provide that information.", "I won't be able to help with that.",
    "Unfortunately, that's not something I'm able to do.", "I'm not comfortable helping with this request.",
    "I can't engage in that kind of discussion.", "Apologies, but I can't fulfill that request.",
    "I'm sorry, I cannot comply.", "Sorry, but that's beyond my capabilities.",
    "That falls outside of what I can help with.", "I'm afraid I can't answer that.", "I must respectfully decline.",
    "I'm not allowed to share that.", "My guidelines don't allow me to answer this.",
    "I'm unable to provide legal advice; please contact an attorney.",
    "For medical questions, please consult your doctor.",
    "It would be best to speak to a licensed professional about this.",
    "I'd recommend asking a qualified expert instead.",
]
EN["identity_only"] += [
    "I'm an artificial intelligence and don't have a body.", "As a chatbot, I don't experience feelings.",
    "I don't have personal opinions since I'm an AI.", "I'm an AI language model created to assist you.",
    "As an AI, I can't have a favorite color.",
]
ZH["opener"] += [
    "当然可以，我来回答。", "好嘞！", "没问题，马上为你解答。", "好的，明白了。", "收到！", "嗯嗯，这个问题很有意思。",
    "哇，好问题！", "你问得真好！", "很高兴你问这个问题！", "乐意效劳！", "非常感谢你的提问。", "这是个很常见的问题。",
    "我们来看看这个问题。", "我们一起来分析一下。", "简单来说：", "先说结论：", "答案如下：", "具体如下：",
    "下面是详细解答：", "以下是我的回答。", "好的，下面我来详细说明。", "当然！让我来为您介绍一下。",
    "没问题！以下是相关信息。",
]
ZH["closer"] += [
    "希望我的解答对你有帮助！", "希望对您有用。", "希望能帮到您！", "如果还有疑问，欢迎随时问我。", "有任何问题随时联系我！",  # noqa: E501
    "如需进一步帮助，请随时告诉我。", "如果你还想了解更多，可以继续问我。", "还有别的问题吗？", "还有其他需要帮忙的吗？",  # noqa: E501
    "有需要随时找我哦～", "祝你一切顺利！", "祝您好运！", "祝学习愉快！", "加油哦！", "以上就是我的回答，希望对你有帮助。",  # noqa: E501
    "希望这个解释够清楚。", "如有不明白的地方，欢迎继续提问。", "感谢你的提问！", "谢谢你的提问，希望对你有帮助！",
]
ZH["disclaimer_sentence"] += ["需要说明的是，我是AI，回答仅供参考。", "作为人工智能，我不能替代医生的诊断。"]
ZH["disclaimer_clause"] += ["作为一个语言模型，我无法上网，但是", "虽然我是人工智能，但"]
ZH["refusal"] += [
    "抱歉，我无法回答这个问题。", "对不起，这超出了我的能力。", "很抱歉，我不能提供这类信息。", "抱歉，我没法帮你做这件事。",  # noqa: E501
    "这个请求我无法完成，请谅解。", "根据相关规定，我不能回答这个问题。", "抱歉，我不便回答。", "很遗憾，我不能满足你的要求。",  # noqa: E501
    "对不起，我做不到。", "抱歉，这个问题涉及隐私，我不能回答。", "这个问题建议你咨询专业律师。",
    "请咨询医生获取专业建议，我无法提供诊断。",
]
ZH["identity_only"] += ["我是一个AI程序，没有身体。", "作为聊天机器人，我没有自己的喜好。", "我只是人工智能，没有感情。"]  # noqa: E501

# Third round (after the first held-out read-out, which was looked at as totals per family only): shapes with a
# content word inside the boilerplate ("祝你旅途愉快", "如果你对这个话题还有疑问"), refusals without an apology,
# identity statements without "AI".
EN["closer"] += [
    "Let me know if this works for you!", "Hope you enjoy it!", "Happy to answer any follow-up questions.",
    "Feel free to ask for clarification.", "Good luck, and have fun!", "I hope this explanation makes things clearer.",
    "Let me know if there's anything else!", "Don't hesitate to reach out!", "I hope you found this overview useful.",
    "If you need further assistance, feel free to ask.", "Have a wonderful time on your trip!",
    "Good luck with the interview!",
]
EN["refusal"] += [
    "I'm not going to help with that.", "That's not something I'm willing to do.", "I'd rather not answer that.",
    "I don't feel comfortable answering this.", "This isn't something I can assist with.",
    "Providing that information would be irresponsible, so I won't.",
    "I can't share personal information about individuals.", "That request is inappropriate, and I must refuse.",
    "This content may violate our content policy, so I can't continue.",
]
EN["identity_only"] += [
    "I'm not a human, so I don't have a favourite food.", "I don't have a body or feelings.",
    "I'm just a computer program.", "I am a machine learning model and have no personal life.",
    "I lack personal experiences.", "Being an artificial intelligence, I have no preferences.",
]
ZH["closer"] += [
    "以上就是关于这个问题的全部内容，希望对你有所帮助。", "以上就是我的解答。", "如果你对这个话题还有疑问，欢迎随时交流。",  # noqa: E501
    "祝你旅途愉快！", "祝你考试顺利！", "祝您周末愉快！", "有什么不懂的地方可以再问我。", "期待你的反馈！",
    "欢迎继续探讨！", "有问题可以留言哦。", "如果需要修改，请告诉我。", "感谢阅读！", "祝好！", "我随时在这里为您服务。",  # noqa: E501
    "很高兴能帮到你！", "不客气！",
]
ZH["opener"] += [
    "好的，针对你的问题，我来解答。", "这个问题可以从以下几个方面来回答：", "关于这个问题，我的回答如下。",
    "针对您的问题，解答如下：", "嗯，让我想想。", "这是个好问题，值得探讨。",
]
ZH["refusal"] += [
    "这个我不能说。", "我不方便透露。", "抱歉，这不在我的回答范围内。", "出于安全考虑，我不能提供此类信息。",
    "这个问题不适合回答。", "恕我无法回答。", "我无法就此提供建议。", "这涉及敏感话题，我无法讨论。", "我不会提供这类内容。",  # noqa: E501
]
ZH["identity_only"] += [
    "我是一个由科技公司开发的AI助手。", "我是AI，不能吃东西。", "我没有身体，也没有感情。", "作为一个程序，我没有喜怒哀乐。",  # noqa: E501
    "我只是一段代码，没有真实的经历。", "我是虚拟助手，无法亲身体验。", "我不是人类，所以没有这样的经历。",
]

# Fourth round: more register (casual, forum-style) in both languages; clause disclaimers that go on without a
# subject ("我只是一个AI，无法替代医生的诊断，").
EN["opener"] += ["Hey there!", "Ooh, good one!", "Understood!", "Got it!", "Hmm, let me think about that.",
                 "That's a tricky one!", "Here we go!", "Hi! Thanks for your message."]
EN["closer"] += ["I trust this answers your question.", "Let me know your thoughts!",
                 "Please let me know if you require further clarification.", "Keep up the great work!",
                 "Your feedback is welcome!", "That's it!", "And there you have it!", "Stay curious!"]
EN["disclaimer_clause"] += ["I'm just an AI, not a doctor, so", "As an AI, I can't be sure; however,"]
ZH["opener"] += ["哈喽！", "嗨，这个问题很有代表性。", "好滴！", "明白了！我来看看。", "首先，感谢您的信任。", "这是一个很有意思的问题。"]  # noqa: E501
ZH["closer"] += ["希望我的回答能解决你的疑惑。", "有任何疑问欢迎在评论区留言。", "期待与你进一步交流！", "愿你一切顺利！",  # noqa: E501
                 "加油，你可以的！", "如果觉得有用，记得收藏哦！", "希望能给你一些启发。", "祝你早日达成目标！"]
ZH["disclaimer_clause"] += ["我只是一个AI，无法替代医生的诊断，", "作为人工智能，我不具备行医资格，但是"]
ZH["disclaimer_sentence"] += ["温馨提示：我不是专业医生，建议以医生诊断为准。"]
